/**
 * Near-duplicate search over 64-bit perceptual hashes (the 16-hex-digit `phash` of
 * `deidentify/measure-image.ts`) without comparing all pairs: multi-index hashing (Norouzi, Punjani & Fleet,
 * "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
 *
 * The 64 bits are cut into m disjoint chunks and every chunk gets its own hash table (chunk value →
 * items). By pigeonhole, if two hashes differ in at most d bits, some chunk differs in at most
 * r = ⌊d / m⌋ bits (for d < m: some chunk is identical). Tighter, as in Norouzi et al.:
 * with d = m·r + a, one of the first a + 1 chunks is within r, or one of the others within r − 1.
 * So the candidates of an item are the items in the buckets within those radii of its own chunk
 * values; each candidate is verified with the full 64-bit distance, and a pair is reported only from
 * the first chunk that is within its radius, so exactly once. The chunking is chosen per call from a
 * cost model (bucket probes plus expected candidates for uniformly spread hashes, vs n²/2 for brute
 * force): 5 chunks of 13 bits for 10⁴ hashes, 4 of 16 bits for 10⁵; for small n or large d it compares
 * all pairs. Real pHashes cluster (similar compositions share most bits), so buckets are fuller than
 * the uniform model assumes; that costs time, never correctness.
 *
 * Hashes are held as two unsigned 32-bit halves and compared with a branch-free popcount, and each
 * table keeps its own copy of the hashes in bucket order so a bucket scan reads memory sequentially.
 * BigInt is far slower for this: ≈ 11–15 ns per distance for the halves vs ≈ 2–3 µs with BigInt XOR
 * and a bit-clearing popcount loop, and ≈ 0.27 µs even when the BigInt XOR is split back into two
 * Numbers for the same popcount (`benchHashDistance` in `scripts/bench/qc-bench.ts`).
 */

export interface HashedItem {
  id: string;
  /** 64-bit hash as 16 hex digits (either case) */
  phash: string;
}

export interface DuplicatePair {
  /** the smaller id (plain UTF-16 code unit order, as `<` compares strings) */
  a: string;
  b: string;
  /** Hamming distance between the two hashes, 0–64 */
  distance: number;
}

export interface NearDuplicateOptions {
  /** 'auto' (default) picks MIH or brute force by estimated cost; the others force a method (for tests and benchmarks). */
  method?: 'auto' | 'mih' | 'brute';
  /** number of MIH chunks (4–32); default from the cost model */
  chunks?: number;
}

const HEX64 = /^[0-9a-fA-F]{16}$/;
/** Largest chunk width: a 2^20-entry offset table per chunk (4 MiB) is the memory ceiling. */
const MAX_CHUNK_BITS = 20;
const MIN_CHUNKS = 4;
const MAX_CHUNKS = 32;

/** Number of set bits of a 32-bit integer (SWAR popcount). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Splits a 16-hex-digit hash into its high and low 32-bit halves. Throws on anything else. */
export function parseHash64(hex: string): [hi: number, lo: number] {
  if (!HEX64.test(hex)) throw new Error(`not a 64-bit hex hash: ${JSON.stringify(hex)}`);
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)];
}

/** Hamming distance between two 16-hex-digit hashes. */
export function hammingDistance(a: string, b: string): number {
  const [ah, al] = parseHash64(a);
  const [bh, bl] = parseHash64(b);
  return popcount32(ah ^ bh) + popcount32(al ^ bl);
}

/**
 * All pairs of items whose hashes are within `maxDistance` bits (inclusive), each pair once with
 * a < b, sorted by (a, b). Ids must be unique; equal hashes under different ids are distance-0 pairs.
 */
export function findNearDuplicates(items: readonly HashedItem[], maxDistance: number, options: NearDuplicateOptions = {}): DuplicatePair[] {
  return prepareNearDuplicateSearch(items, maxDistance, options).search();
}

export interface NearDuplicateSearch {
  /** what the cost model (or the options) chose */
  method: 'mih' | 'brute';
  /** MIH chunk widths in bits (empty for brute force) */
  chunkWidths: number[];
  /** MIH search radius per chunk: ⌊d / m⌋ for the first (d mod m) + 1 chunks, one less for the rest (−1: chunk not searched) */
  radii: number[];
  /** runs the search; `findNearDuplicates` is `prepareNearDuplicateSearch(...).search()` */
  search(): DuplicatePair[];
}

/** The two halves of `findNearDuplicates`: this parses the hashes and builds the chunk tables, `search()` queries them. */
export function prepareNearDuplicateSearch(items: readonly HashedItem[], maxDistance: number, options: NearDuplicateOptions = {}): NearDuplicateSearch {
  if (!Number.isInteger(maxDistance) || maxDistance < 0) throw new Error(`maxDistance must be a non-negative integer, got ${maxDistance}`);
  const n = items.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const { id, phash } = items[i]!;
    if (seen.has(id)) throw new Error(`duplicate id ${JSON.stringify(id)}`);
    seen.add(id);
    [hi[i], lo[i]] = parseHash64(phash);
  }
  const d = Math.min(maxDistance, 64);
  const method = options.method ?? 'auto';
  const plan = method === 'brute' ? undefined : planChunks(n, d, options.chunks, method === 'mih');
  const index = plan && buildIndex(hi, lo, plan);

  return {
    method: plan ? 'mih' : 'brute',
    chunkWidths: plan?.widths ?? [],
    radii: plan?.radii ?? [],
    search() {
      const found: [number, number, number][] = [];
      if (index) searchIndex(hi, lo, d, index, found);
      else bruteForce(hi, lo, d, found);
      const pairs = found.map(([i, j, distance]) => {
        const x = items[i]!.id;
        const y = items[j]!.id;
        return x < y ? { a: x, b: y, distance } : { a: y, b: x, distance };
      });
      pairs.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
      return pairs;
    },
  };
}

function bruteForce(hi: Uint32Array, lo: Uint32Array, d: number, out: [number, number, number][]): void {
  const n = hi.length;
  for (let i = 0; i < n; i++) {
    const h = hi[i]!;
    const l = lo[i]!;
    for (let j = i + 1; j < n; j++) {
      const distance = popcount32(h ^ hi[j]!) + popcount32(l ^ lo[j]!);
      if (distance <= d) out.push([i, j, distance]);
    }
  }
}

interface ChunkPlan {
  /** chunk widths in bits, most significant chunk first; they sum to 64 */
  widths: number[];
  /** per-chunk search radius (−1: not searched) */
  radii: number[];
}

function chunkWidths(m: number): number[] {
  const base = Math.floor(64 / m);
  const extra = 64 % m;
  return Array.from({ length: m }, (_, c) => base + (c < extra ? 1 : 0));
}

/**
 * Per-chunk radii for distance ≤ d over m chunks: writing d = m·r + a (0 ≤ a < m), a pair within d
 * has a chunk c ≤ a within r or a chunk c > a within r − 1 (else its distance would be at least
 * (a + 1)(r + 1) + (m − a − 1) r = d + 1). A radius of −1 means the chunk need not be searched.
 */
function chunkRadii(d: number, m: number): number[] {
  const r = Math.floor(d / m);
  const a = d - m * r;
  return Array.from({ length: m }, (_, c) => (c <= a ? r : r - 1));
}

/** Number of b-bit values within Hamming distance r of a given one. */
function ballVolume(b: number, r: number): number {
  let volume = 0;
  let binomial = 1;
  for (let k = 0; k <= Math.min(r, b); k++) {
    volume += binomial;
    binomial = (binomial * (b - k)) / (k + 1);
  }
  return volume;
}

/** The cheapest chunking by a simple cost model, or undefined when comparing all pairs is cheaper (unless forced). */
function planChunks(n: number, d: number, requested: number | undefined, force: boolean): ChunkPlan | undefined {
  const options = requested !== undefined ? [requested] : Array.from({ length: MAX_CHUNKS - MIN_CHUNKS + 1 }, (_, k) => k + MIN_CHUNKS);
  let best: { plan: ChunkPlan; cost: number } | undefined;
  for (const m of options) {
    if (!Number.isInteger(m) || m < MIN_CHUNKS || m > MAX_CHUNKS) throw new Error(`chunks must be an integer from ${MIN_CHUNKS} to ${MAX_CHUNKS}, got ${m}`);
    const widths = chunkWidths(m);
    if (widths[0]! > MAX_CHUNK_BITS) continue;
    const radii = chunkRadii(d, m);
    // per item and chunk: one probe per neighbouring bucket, plus the expected later items found there
    let cost = n * m * 2; // building the tables
    widths.forEach((b, c) => {
      const probes = radii[c]! < 0 ? 0 : ballVolume(b, radii[c]!);
      cost += n * probes * (1 + n / 2 ** b / 2);
    });
    if (!best || cost < best.cost) best = { plan: { widths, radii }, cost };
  }
  if (!best) return undefined;
  if (!force && requested === undefined && best.cost >= (n * (n - 1)) / 2) return undefined;
  return best.plan;
}

/** All XOR masks of weight ≤ r over b bits. */
function neighbourMasks(b: number, r: number): Int32Array {
  const masks: number[] = [];
  const extend = (mask: number, from: number, left: number) => {
    masks.push(mask);
    if (left === 0) return;
    for (let bit = from; bit < b; bit++) extend(mask | (1 << bit), bit + 1, left - 1);
  };
  extend(0, 0, r);
  return Int32Array.from(masks);
}

/** Bits [start, start + width) of the 64-bit value hi:lo, counting from the most significant bit. */
function extract(hi: number, lo: number, start: number, width: number): number {
  const end = start + width; // ≤ 64
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  if (end <= 32) return (hi >>> (32 - end)) & mask;
  if (start >= 32) return (lo >>> (64 - end)) & mask;
  const loBits = end - 32;
  return (((hi << loBits) | (lo >>> (32 - loBits))) & mask) >>> 0;
}

interface ChunkIndex extends ChunkPlan {
  /** chunk values per item, item-major: keys[i * m + c] */
  keys: Int32Array;
  /**
   * One CSR table per chunk: the items with chunk value v are at positions offsets[v] .. offsets[v+1]
   * of `order` (ascending item index), with their hash halves copied alongside in `hi` / `lo`.
   */
  tables: { offsets: Int32Array; order: Int32Array; hi: Uint32Array; lo: Uint32Array }[];
  /** XOR masks of weight ≤ radius, per chunk */
  masks: Int32Array[];
}

function buildIndex(hi: Uint32Array, lo: Uint32Array, plan: ChunkPlan): ChunkIndex {
  const n = hi.length;
  const { widths, radii } = plan;
  const m = widths.length;
  const starts: number[] = [];
  for (let c = 0, s = 0; c < m; s += widths[c]!, c++) starts.push(s);

  const keys = new Int32Array(n * m);
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) keys[i * m + c] = extract(hi[i]!, lo[i]!, starts[c]!, widths[c]!);

  const tables = widths.map((b, c) => {
    const offsets = new Int32Array((1 << b) + 1);
    if (radii[c]! < 0) return { offsets, order: new Int32Array(0), hi: new Uint32Array(0), lo: new Uint32Array(0) };
    for (let i = 0; i < n; i++) offsets[keys[i * m + c]! + 1]!++;
    for (let v = 0; v < 1 << b; v++) offsets[v + 1]! += offsets[v]!;
    const fill = offsets.slice(0, 1 << b);
    const order = new Int32Array(n);
    const tableHi = new Uint32Array(n);
    const tableLo = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const p = fill[keys[i * m + c]!]!++;
      order[p] = i;
      tableHi[p] = hi[i]!;
      tableLo[p] = lo[i]!;
    }
    return { offsets, order, hi: tableHi, lo: tableLo };
  });
  const masks = widths.map((b, c) => (radii[c]! < 0 ? new Int32Array(0) : neighbourMasks(b, radii[c]!)));
  return { widths, radii, keys, tables, masks };
}

function searchIndex(hi: Uint32Array, lo: Uint32Array, d: number, index: ChunkIndex, out: [number, number, number][]): void {
  const n = hi.length;
  const { widths, radii, keys, tables } = index;
  const m = widths.length;
  for (let c = 0; c < m; c++) {
    const { offsets, order, hi: tableHi, lo: tableLo } = tables[c]!;
    const masks = index.masks[c]!;
    if (masks.length === 0) continue;
    for (let i = 0; i < n; i++) {
      const h = hi[i]!;
      const l = lo[i]!;
      const key = keys[i * m + c]!;
      for (let k = 0; k < masks.length; k++) {
        const v = key ^ masks[k]!;
        const first = offsets[v]!;
        // buckets are ascending by item index: walk down from the end while j > i
        for (let p = offsets[v + 1]! - 1; p >= first; p--) {
          const j = order[p]!;
          if (j <= i) break;
          const distance = popcount32(h ^ tableHi[p]!) + popcount32(l ^ tableLo[p]!);
          // report the pair only from the first chunk within its radius, so each pair comes out once
          if (distance <= d && firstChunkWithin(keys, i, j, m, radii) === c) out.push([i, j, distance]);
        }
      }
    }
  }
}

function firstChunkWithin(keys: Int32Array, i: number, j: number, m: number, radii: number[]): number {
  for (let c = 0; c < m; c++) if (popcount32(keys[i * m + c]! ^ keys[j * m + c]!) <= radii[c]!) return c;
  return -1;
}
