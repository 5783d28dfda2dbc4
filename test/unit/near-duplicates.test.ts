import { describe, expect, it } from 'vitest';
import {
  findNearDuplicates,
  hammingDistance,
  parseHash64,
  popcount32,
  prepareNearDuplicateSearch,
  type DuplicatePair,
} from '../../activities/assemble/near-duplicates.ts';
import { groupDuplicates } from '../../activities/storage/group-duplicates.ts';
import { mulberry32, randomHashes } from '../../scripts/bench/qc-bench.ts';

/**
 * Reference implementation, independent of the module: BigInt XOR and bit counting over all pairs.
 * Returns a function from threshold to the expected answer (all pairs within `upTo` computed once).
 */
function bruteForce(items: { id: string; phash: string }[], upTo: number): (maxDistance: number) => DuplicatePair[] {
  const values = items.map((it) => BigInt(`0x${it.phash}`));
  const pairs: DuplicatePair[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      let x = values[i]! ^ values[j]!;
      let distance = 0;
      for (; x && distance <= upTo; x &= x - 1n) distance++;
      if (distance > upTo) continue;
      const [a, b] = [items[i]!.id, items[j]!.id].sort();
      pairs.push({ a: a!, b: b!, distance });
    }
  }
  pairs.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : 1));
  return (maxDistance) => pairs.filter((p) => p.distance <= maxDistance);
}

/** n hashes in clusters: random centres, each with a few copies 0..spread bits away (so all distances occur). */
function clusteredHashes(n: number, spread: number, seed: number): { id: string; phash: string }[] {
  const next = mulberry32(seed);
  const items: { id: string; phash: string }[] = [];
  let centre = 0n;
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) centre = (BigInt(next()) << 32n) | BigInt(next());
    let value = centre;
    const flips = next() % (spread + 1);
    for (let f = 0; f < flips; f++) value ^= 1n << BigInt(next() % 64);
    // ids deliberately not in hash or index order
    items.push({ id: `id-${(next() % 1_000_000).toString(36)}-${i}`, phash: value.toString(16).padStart(16, '0') });
  }
  return items;
}

describe('Hamming distance helpers', () => {
  it('counts bits of 32-bit values', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(1)).toBe(1);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000000)).toBe(1);
    expect(popcount32(0xf0f0f0f0)).toBe(16);
  });

  it('measures the distance between hex hashes, either case', () => {
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('0123456789abcdef', '0123456789ABCDEF')).toBe(0);
    expect(hammingDistance('8000000000000001', '0000000000000000')).toBe(2);
    expect(parseHash64('00000001ffffffff')).toEqual([1, 0xffffffff]);
  });

  it('rejects anything that is not 16 hex digits', () => {
    for (const bad of ['', '123', '0123456789abcdeg', '0x23456789abcdef', '0123456789abcdef0']) expect(() => parseHash64(bad)).toThrow(/64-bit hex/);
  });
});

describe('findNearDuplicates', () => {
  it('matches brute force on random hashes with planted near-duplicates, for every chunking', () => {
    const { items, plantedPairs } = randomHashes(2000, { maxDistance: 12, planted: 0.05, seed: 7 });
    const reference = bruteForce(items, 12);
    for (const d of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]) {
      const expected = reference(d);
      expect(findNearDuplicates(items, d)).toEqual(expected);
      for (const chunks of [4, 5, 6, 7, 8, 11]) expect(findNearDuplicates(items, d, { method: 'mih', chunks }), `d=${d} chunks=${chunks}`).toEqual(expected);
      expect(findNearDuplicates(items, d, { method: 'brute' })).toEqual(expected);
    }
    // every planted copy (≤ 12 bits from its source) is found at d = 12
    const found = new Set(findNearDuplicates(items, 12).map((p) => `${p.a} ${p.b}`));
    expect(plantedPairs.length).toBeGreaterThan(60);
    for (const [a, b] of plantedPairs) expect(found.has(`${a} ${b}`)).toBe(true);
  });

  it('matches brute force on clustered hashes where every distance up to the threshold occurs', () => {
    const items = clusteredHashes(2000, 10, 3);
    const reference = bruteForce(items, 10);
    for (const d of [0, 3, 6, 10]) {
      const expected = reference(d);
      expect(expected.some((p) => p.distance === d)).toBe(true);
      for (const chunks of [undefined, 4, 5, 9]) expect(findNearDuplicates(items, d, { method: 'mih', chunks })).toEqual(expected);
    }
  });

  it('reports each pair once, smaller id first, sorted, and ignores input order', () => {
    const items = clusteredHashes(400, 6, 11);
    const pairs = findNearDuplicates(items, 6);
    expect(pairs.length).toBeGreaterThan(100);
    const keys = pairs.map((p) => `${p.a} ${p.b}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of pairs) expect(p.a < p.b).toBe(true);
    expect([...keys].sort()).toEqual(keys);
    const shuffled = [...items].sort((x, y) => (x.phash < y.phash ? -1 : 1));
    expect(findNearDuplicates(shuffled, 6)).toEqual(pairs);
  });

  it('handles edge cases: no items, one item, identical hashes, the whole space', () => {
    expect(findNearDuplicates([], 4)).toEqual([]);
    expect(findNearDuplicates([{ id: 'x', phash: '0123456789abcdef' }], 4)).toEqual([]);
    const same = ['b', 'a', 'c'].map((id) => ({ id, phash: 'ffff0000ffff0000' }));
    expect(findNearDuplicates(same, 0, { method: 'mih' })).toEqual([
      { a: 'a', b: 'b', distance: 0 },
      { a: 'a', b: 'c', distance: 0 },
      { a: 'b', b: 'c', distance: 0 },
    ]);
    const { items } = randomHashes(60, { planted: 0 });
    expect(findNearDuplicates(items, 64)).toHaveLength((60 * 59) / 2);
    expect(findNearDuplicates(items, 100)).toHaveLength((60 * 59) / 2);
  });

  it('stays correct when one bucket holds most items', () => {
    const next = mulberry32(5);
    // the top 32 bits are the same for all: the first chunks' tables degenerate to one bucket
    const items = Array.from({ length: 1500 }, (_, i) => ({ id: `i${i}`, phash: `deadbeef${next().toString(16).padStart(8, '0')}` }));
    const reference = bruteForce(items, 5);
    for (const d of [2, 5]) expect(findNearDuplicates(items, d, { method: 'mih', chunks: 4 })).toEqual(reference(d));
  });

  it('rejects duplicate ids, bad hashes and bad thresholds', () => {
    expect(() => findNearDuplicates([{ id: 'a', phash: '0'.repeat(16) }, { id: 'a', phash: '1'.repeat(16) }], 2)).toThrow(/duplicate id/);
    expect(() => findNearDuplicates([{ id: 'a', phash: 'xyz' }], 2)).toThrow(/64-bit hex/);
    expect(() => findNearDuplicates([], -1)).toThrow(/maxDistance/);
    expect(() => findNearDuplicates([], 1.5)).toThrow(/maxDistance/);
    expect(() => findNearDuplicates([], 2, { chunks: 2 })).toThrow(/chunks/);
  });

  it('uses multi-index hashing rather than all pairs for a large collection, and finds every planted copy', () => {
    const { items, plantedPairs } = randomHashes(50_000, { maxDistance: 8, seed: 2 });
    const search = prepareNearDuplicateSearch(items, 8);
    expect(search.method).toBe('mih');
    expect(search.chunkWidths.reduce((s, b) => s + b, 0)).toBe(64);
    const found = new Set(search.search().map((p) => `${p.a} ${p.b}`));
    for (const [a, b] of plantedPairs) expect(found.has(`${a} ${b}`)).toBe(true);
    // tiny collections are cheaper to compare exhaustively
    expect(prepareNearDuplicateSearch(items.slice(0, 50), 8).method).toBe('brute');
  });
});

describe('groupDuplicates', () => {
  it('joins pairs into connected components, sorted within and across groups', () => {
    const pairs = [
      { a: 'm', b: 'z' },
      { a: 'b', b: 'c' },
      { a: 'c', b: 'd' },
      { a: 'x', b: 'y' },
      { a: 'a', b: 'd' },
    ];
    const groups = [
      ['a', 'b', 'c', 'd'],
      ['m', 'z'],
      ['x', 'y'],
    ];
    expect(groupDuplicates(pairs)).toEqual(groups);
    expect(groupDuplicates([...pairs].reverse())).toEqual(groups);
    expect(groupDuplicates(pairs.map(({ a, b }) => ({ a: b, b: a })))).toEqual(groups);
    expect(groupDuplicates([])).toEqual([]);
  });

  it('groups near-duplicate search results transitively', () => {
    const items = [
      { id: 'img3', phash: '0000000000000000' },
      { id: 'img1', phash: '0000000000000003' }, // 2 bits from img3
      { id: 'img2', phash: '000000000000000f' }, // 2 bits from img1, 4 from img3
      { id: 'img4', phash: 'ffffffffffffffff' },
      { id: 'img5', phash: 'fffffffffffffffe' },
      { id: 'img6', phash: '00000000ffffffff' },
    ];
    const pairs = findNearDuplicates(items, 2);
    expect(pairs).toEqual([
      { a: 'img1', b: 'img2', distance: 2 },
      { a: 'img1', b: 'img3', distance: 2 },
      { a: 'img4', b: 'img5', distance: 1 },
    ]);
    expect(groupDuplicates(pairs)).toEqual([
      ['img1', 'img2', 'img3'],
      ['img4', 'img5'],
    ]);
  });
});
