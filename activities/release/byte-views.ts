/**
 * The texts a run of bytes reads as, for the leak scan: Latin-1, UTF-8, and UTF-16 little- and
 * big-endian at both byte alignments, each folded (compatibility-decomposed, combining marks
 * dropped, lower-cased: `fold`) and with the byte offset of every character, so a hit can be
 * placed. A value written in any of these encodings, in any case, composed or decomposed, reads
 * the same as its folded form in one of the views.
 *
 * Views are code units in typed arrays, never strings: folding goes through a table of every BMP
 * unit's fold, built once, and the arrays are reused from view to view. Only the runs of
 * characters that can be part of a value are folded: the others are skipped, most of them
 * without being read (`RunFilter`).
 */

export type Encoding = 'latin1' | 'utf-8' | 'utf-16le' | 'utf-16be';

export interface ByteView {
  encoding: Encoding;
  /** Folded text as UTF-16 code units (lone surrogates as U+FFFD, as a decoder shows them); valid up to `length`. */
  units: Uint16Array;
  /** Byte offset (within the viewed bytes) of the character each unit comes from. */
  offsets: Int32Array;
  length: number;
}

const foldCache = new Map<number, string>();

/** NFKD, without combining marks, lower-cased: 'García' and 'GARCI\u0301A' both fold to 'garcia'. */
export function fold(text: string): string {
  let out = '';
  for (const c of text) out += foldChar(c.codePointAt(0)!);
  return out;
}

function foldChar(code: number): string {
  let f = foldCache.get(code);
  if (f === undefined) {
    f = String.fromCodePoint(code).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    foldCache.set(code, f);
  }
  return f;
}

/**
 * Every BMP unit's fold: `one[u]` when it is one unit, else MULTI and the units
 * `multi[start[u]] .. multi[start[u + 1]]` (none for a combining mark, several for 'ﬁ' or '¼').
 * Surrogates are MULTI and fold to themselves (only the UTF-16 views meet them).
 */
interface FoldTable {
  one: Uint16Array;
  start: Int32Array;
  multi: Uint16Array;
}

const MULTI = 0xffff;
const REPLACEMENT = 0xfffd;
/** No BMP unit folds to more units than this (U+FDFA folds to 18). */
const MAX_FOLD = 18;
let foldTable: FoldTable | undefined;

function folds(): FoldTable {
  if (foldTable) return foldTable;
  const one = new Uint16Array(0x10000);
  const start = new Int32Array(0x10001);
  const multi: number[] = [];
  for (let u = 0; u < 0x10000; u++) {
    start[u] = multi.length;
    if (u >= 0xd800 && u <= 0xdfff) {
      one[u] = MULTI;
      continue;
    }
    const f = String.fromCharCode(u).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    if (f.length === 1 && f.charCodeAt(0) !== MULTI) {
      one[u] = f.charCodeAt(0);
      continue;
    }
    one[u] = MULTI;
    for (let i = 0; i < f.length; i++) multi.push(f.charCodeAt(i));
  }
  start[0x10000] = multi.length;
  foldTable = { one, start, multi: Uint16Array.from(multi) };
  return foldTable;
}

/** One view's arrays, grown when a view needs more and reused by the next. */
class ViewBuffer {
  units = new Uint16Array(0);
  offsets = new Int32Array(0);

  /** Room for `n` units. */
  reserve(n: number): void {
    if (n <= this.units.length) return;
    const size = Math.max(n, 2 * this.units.length);
    const units = new Uint16Array(size);
    units.set(this.units);
    this.units = units;
    const offsets = new Int32Array(size);
    offsets.set(this.offsets);
    this.offsets = offsets;
  }
}

const buffer = new ViewBuffer();

/** Appends the fold of a BMP unit that is not `one` (MULTI) at `n`; returns the new length. */
function pushMulti(table: FoldTable, unit: number, offset: number, n: number): number {
  const end = table.start[unit + 1];
  buffer.reserve(n + MAX_FOLD);
  for (let k = table.start[unit]; k < end; k++) {
    buffer.units[n] = table.multi[k];
    buffer.offsets[n++] = offset;
  }
  return n;
}

// The loops below keep the arrays in locals, and reload them after `pushMulti`, which may grow them.

function latin1View(bytes: Uint8Array, table: FoldTable): number {
  let { units, offsets } = buffer;
  const one = table.one;
  const end = bytes.length;
  let n = 0;
  for (let i = 0; i < end; i++) {
    const f = one[bytes[i]];
    if (f === MULTI) {
      n = pushMulti(table, bytes[i], i, n);
      ({ units, offsets } = buffer);
      continue;
    }
    units[n] = f;
    offsets[n++] = i;
  }
  return n;
}

/** UTF-8 as a lenient decoder reads it: each invalid byte is U+FFFD and decoding resumes at the next. */
function utf8View(bytes: Uint8Array, table: FoldTable): number {
  let { units, offsets } = buffer;
  let n = 0;
  for (let i = 0; i < bytes.length; ) {
    const decoded = bytes[i] < 0x80 ? bytes[i] : utf8Code(bytes, i);
    const code = decoded < 0 ? REPLACEMENT : decoded;
    const f = code < 0x10000 ? table.one[code] : MULTI;
    if (f !== MULTI) {
      units[n] = f;
      offsets[n++] = i;
    } else {
      if (code < 0x10000) n = pushMulti(table, code, i, n);
      else {
        const folded = foldChar(code);
        buffer.reserve(n + folded.length);
        for (let k = 0; k < folded.length; k++) {
          buffer.units[n] = folded.charCodeAt(k);
          buffer.offsets[n++] = i;
        }
      }
      ({ units, offsets } = buffer);
    }
    i += bytes[i] < 0x80 ? 1 : utf8Width;
  }
  return n;
}

/** Bytes of the character `utf8Code` last decoded. */
let utf8Width = 1;

/** The character a lenient decoder reads at `i`, its byte count in `utf8Width`; -1 for an invalid byte (read as U+FFFD). */
function utf8Code(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  utf8Width = 1;
  if (b < 0x80) return b;
  const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
  let code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
  if (need < 0 || i + need >= bytes.length) return -1;
  for (let k = 1; k <= need; k++) {
    const c = bytes[i + k];
    if ((c & 0xc0) !== 0x80) return -1;
    code = (code << 6) | (c & 0x3f);
  }
  if ((need === 2 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (need === 3 && (code < 0x10000 || code > 0x10ffff))) return -1;
  utf8Width = need + 1;
  return code;
}

/** Surrogates fold to themselves; a lone one then reads as U+FFFD, as a decoder shows it (PHI values of the centres are in the BMP). */
function utf16View(bytes: Uint8Array, start: number, littleEndian: boolean, table: FoldTable): number {
  let { units, offsets } = buffer;
  const one = table.one;
  const end = bytes.length - 1;
  const [low, high] = littleEndian ? [0, 1] : [1, 0];
  let n = 0;
  let surrogates = false;
  for (let i = start; i < end; i += 2) {
    const unit = bytes[i + low] | (bytes[i + high] << 8);
    const f = one[unit];
    if (f !== MULTI) {
      units[n] = f;
      offsets[n++] = i;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      surrogates = true;
      units[n] = unit;
      offsets[n++] = i;
    } else {
      n = pushMulti(table, unit, i, n);
      ({ units, offsets } = buffer);
    }
  }
  if (surrogates) replaceLoneSurrogates(units, n);
  return n;
}

/** What a UTF-16 decoder does with the folded units: a high surrogate followed by a low one is a pair, any other surrogate U+FFFD. */
function replaceLoneSurrogates(units: Uint16Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const u = units[i];
    if (u < 0xd800 || u > 0xdfff) continue;
    if (u < 0xdc00 && i + 1 < n && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff) i++;
    else units[i] = REPLACEMENT;
  }
}

/**
 * What a multi-pattern search for values (folded units) at least `minUnits` long needs to know of
 * each character to skip the ones no match can touch. A character's weight is 0 when none of the
 * units it folds to is in a value or in `context` (a breaker: no match crosses it), else 1 + the
 * most units it can add to a match: its longest run of value units whose neighbours are also
 * neighbours in some value (0 for a character that folds to nothing, which a match passes over).
 * A match then spans at least `step` characters (bytes in UTF-8) of a view, so testing one
 * character in every `step` finds every run of non-breakers that can hold one.
 */
export interface RunFilter {
  minUnits: number;
  /** Weight of each BMP unit; a surrogate counts as a value unit only when a value has U+FFFD or a surrogate. */
  weights: Uint8Array;
  /** 1 for each high byte of a BMP unit that is not a breaker: a one-byte test rejects most UTF-16 units. */
  highBytes: Uint8Array;
  units: Alphabet;
  /** Weights of astral code points met so far (UTF-8 only). */
  astral: Map<number, number>;
  latin1Step: number;
  utf16Step: number;
  utf8Step: number;
}

/** The units of the values, the pairs of units next to each other in one, and the units a match's context is read from. */
interface Alphabet {
  values: ReadonlySet<number>;
  pairs: ReadonlySet<number>;
  context: ReadonlySet<number>;
}

export function runFilter(values: readonly Uint16Array[], context: readonly number[], minUnits: number): RunFilter {
  const table = folds();
  const alphabet: Alphabet = { values: new Set(values.flatMap((v) => [...v])), pairs: new Set(values.flatMap((v) => [...v.subarray(1)].map((u, k) => v[k] * 0x10000 + u))), context: new Set(context) };
  const surrogates = alphabet.values.has(REPLACEMENT) || [...alphabet.values].some((u) => u >= 0xd800 && u <= 0xdfff);
  const weights = new Uint8Array(0x10000);
  for (let u = 0; u < 0x10000; u++) {
    if (u >= 0xd800 && u <= 0xdfff) weights[u] = surrogates ? 2 : 0;
    else weights[u] = weight(table.one[u] === MULTI ? table.multi.subarray(table.start[u], table.start[u + 1]) : [table.one[u]], alphabet);
  }
  // The fewest characters (bytes) a match spans: ceil(minUnits / most units added per character (byte)).
  const fewest = (units: number, per: number) => (units > 0 ? Math.ceil((minUnits * per) / units) : Infinity);
  let latin1Step = Infinity;
  let utf16Step = Infinity;
  let utf8Step = fewest(maxAstralFold(), 4);
  for (let u = 0; u < 0x10000; u++) {
    const units = weights[u] - 1;
    if (units <= 0) continue;
    if (u < 0x100) latin1Step = Math.min(latin1Step, fewest(units, 1));
    utf16Step = Math.min(utf16Step, fewest(units, 1));
    if (u >= 0xd800 && u <= 0xdfff) continue; // never in UTF-8
    // U+FFFD is also what one invalid byte reads as
    utf8Step = Math.min(utf8Step, fewest(units, u < 0x80 || u === REPLACEMENT ? 1 : u < 0x800 ? 2 : 3));
  }
  const step = (s: number) => (s === Infinity ? Math.max(1, minUnits) : Math.max(1, s));
  const highBytes = new Uint8Array(0x100);
  for (let u = 0; u < 0x10000; u++) if (weights[u] !== 0) highBytes[u >> 8] = 1;
  return { minUnits, weights, highBytes, units: alphabet, astral: new Map(), latin1Step: step(latin1Step), utf16Step: step(utf16Step), utf8Step: step(utf8Step) };
}

function weight(folded: ArrayLike<number>, alphabet: Alphabet): number {
  if (folded.length === 0) return 1;
  let longest = 0;
  let touches = false;
  for (let k = 0, run = 0; k < folded.length; k++) {
    const u = folded[k];
    touches ||= alphabet.values.has(u) || alphabet.context.has(u);
    run = !alphabet.values.has(u) ? 0 : run > 0 && alphabet.pairs.has(folded[k - 1] * 0x10000 + u) ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return touches ? longest + 1 : 0;
}

let astralFold: number | undefined;

/** The most UTF-16 units an astral code point folds to (6 in current Unicode), computed once. */
function maxAstralFold(): number {
  if (astralFold !== undefined) return astralFold;
  astralFold = 2;
  for (let c = 0x10000; c <= 0x10ffff; c++) {
    const s = String.fromCodePoint(c);
    if (s.normalize('NFKD') !== s || s.toLowerCase() !== s) astralFold = Math.max(astralFold, foldChar(c).length);
  }
  return astralFold;
}

function astralWeight(filter: RunFilter, code: number): number {
  let w = filter.astral.get(code);
  if (w === undefined) {
    const f = foldChar(code);
    w = weight(Array.from({ length: f.length }, (_, k) => f.charCodeAt(k)), filter.units);
    filter.astral.set(code, w);
  }
  return w;
}

/**
 * Calls `visit` with the views of `bytes` (Latin-1, UTF-8, UTF-16LE at offsets 0 and 1, UTF-16BE
 * at 0 and 1, in turn), each cut into its maximal runs of characters that are not breakers of
 * `filter` and could hold `filter.minUnits` units, in byte order, offsets into `bytes`. A view's
 * arrays are only valid during its call. No match crosses a breaker, so a search finds in the
 * runs what it would find in the whole views; one that looks at the characters around a match
 * puts them in the alphabet (they are then part of the run, or absent as at the view's ends).
 */
export function forEachRun(bytes: Uint8Array, filter: RunFilter, visit: (view: ByteView) => void): void {
  const table = folds();
  const run = (encoding: Encoding, from: number, to: number, fold: (sub: Uint8Array) => number) => {
    const sub = bytes.subarray(from, to);
    buffer.reserve(sub.length + MAX_FOLD + 1);
    const length = fold(sub);
    const offsets = buffer.offsets;
    for (let k = 0; k < length; k++) offsets[k] += from;
    visit({ encoding, units: buffer.units, offsets, length });
  };
  fixedRuns(bytes, 0, 1, true, filter.latin1Step, filter, (a, b) => run('latin1', a, b, (sub) => latin1View(sub, table)));
  utf8Runs(bytes, filter, (a, b) => run('utf-8', a, b, (sub) => utf8View(sub, table)));
  for (const [encoding, start, littleEndian] of [['utf-16le', 0, true], ['utf-16le', 1, true], ['utf-16be', 0, false], ['utf-16be', 1, false]] as const) {
    fixedRuns(bytes, start, 2, littleEndian, filter.utf16Step, filter, (a, b) => run(encoding, a, b, (sub) => utf16View(sub, 0, littleEndian, table)));
  }
}

/**
 * Runs (byte ranges) of non-breakers among the characters of `width` bytes (1: Latin-1, 2: UTF-16)
 * from byte `start`, testing one character in every `step`.
 */
function fixedRuns(bytes: Uint8Array, start: number, width: 1 | 2, littleEndian: boolean, step: number, filter: RunFilter, found: (from: number, to: number) => void): void {
  const { weights, highBytes } = filter;
  const count = Math.max(0, Math.floor((bytes.length - start) / width));
  const [first, second] = littleEndian ? [0, 1] : [1, 0];
  const weightAt = (k: number) => (width === 1 ? weights[bytes[k]] : weights[bytes[start + 2 * k + first] | (bytes[start + 2 * k + second] << 8)]);
  for (let p = step - 1; p < count; ) {
    const w = width === 2 && highBytes[bytes[start + 2 * p + second]] === 0 ? 0 : weightAt(p);
    if (w === 0) {
      p += step;
      continue;
    }
    let units = w - 1;
    let a = p;
    for (let left; a > 0 && (left = weightAt(a - 1)) !== 0; a--) units += left - 1;
    let b = p + 1;
    for (let right; b < count && (right = weightAt(b)) !== 0; b++) units += right - 1;
    if (units >= filter.minUnits) found(start + width * a, start + width * b);
    p = b + step; // `b` is a breaker: a match after it starts at b + 1 or later
  }
}

/** Where the character `utf8CharAt` found starts and ends. */
let charStart = 0;
let charEnd = 0;

/** The code of the character a lenient decoder reads byte `p` as part of (U+FFFD for an invalid byte), bounds in charStart/charEnd. */
function utf8CharAt(bytes: Uint8Array, p: number): number {
  // A lead byte is always where a character starts, so the one holding `p` starts at most 3 bytes back.
  for (let q = p; q >= 0 && q >= p - 3; q--) {
    const b = bytes[q];
    if (b >= 0x80 && b < 0xc0 && q > 0) continue; // a continuation byte: look further back
    if (b >= 0xc2 && b <= 0xf4) {
      const code = utf8Code(bytes, q);
      if (code >= 0 && q + utf8Width > p) {
        charStart = q;
        charEnd = q + utf8Width;
        return code;
      }
    } else if (q === p && b < 0x80) {
      charStart = p;
      charEnd = p + 1;
      return b;
    }
    break;
  }
  charStart = p;
  charEnd = p + 1;
  return REPLACEMENT;
}

/** Runs of non-breaker characters of the UTF-8 view, testing the character at one byte in every `step`. */
function utf8Runs(bytes: Uint8Array, filter: RunFilter, found: (from: number, to: number) => void): void {
  const weightOf = (code: number) => (code < 0x10000 ? filter.weights[code] : astralWeight(filter, code));
  const step = filter.utf8Step;
  for (let p = step - 1; p < bytes.length; ) {
    const w = weightOf(utf8CharAt(bytes, p));
    if (w === 0) {
      p += step;
      continue;
    }
    let units = w - 1;
    let [a, b] = [charStart, charEnd];
    while (a > 0) {
      const left = weightOf(utf8CharAt(bytes, a - 1));
      if (left === 0) break;
      units += left - 1;
      a = charStart;
    }
    while (b < bytes.length) {
      const right = weightOf(utf8CharAt(bytes, b));
      if (right === 0) break;
      units += right - 1;
      b = charEnd;
    }
    if (units >= filter.minUnits && !asciiWithin(bytes, a - 1, b + 1)) found(a, b);
    p = b + step;
  }
}

/**
 * Whether bytes [from, to) (clipped to `bytes`) are all ASCII. A UTF-8 run of ASCII between ASCII
 * neighbours reads as the same units at the same offsets in the Latin-1 view, which is searched
 * first: its hits would be those again, so it is not searched twice.
 */
function asciiWithin(bytes: Uint8Array, from: number, to: number): boolean {
  for (let k = Math.max(0, from); k < Math.min(bytes.length, to); k++) if (bytes[k] >= 0x80) return false;
  return true;
}
