import type { StratifiedLesion } from '../../schemas/split.ts';
import { sha256 } from '../storage/files.ts';
import { STRATA, STRATUM_NAMES } from './strata.ts';

export interface DrawInput {
  /** the groups no earlier state assigned; each is taken whole or not at all */
  groups: readonly (readonly StratifiedLesion[])[];
  /** every lesion of the release: the benchmark should have its proportions */
  released: readonly StratifiedLesion[];
  /** lesions already in the benchmark (frozen, or joined a frozen group) */
  benchmark: readonly StratifiedLesion[];
  /** how many lesions to add to the benchmark */
  target: number;
  seed: string;
}

/** A group's effect on the benchmark counts: how many of its lesions fall in each (stratum, value) cell. */
type CellCounts = [cell: number, count: number][];

/**
 * Picks the groups that join the benchmark: a deterministic greedy over the groups in an order drawn
 * from the seed (a hash of the seed and the group's lesion ids, so input order never matters). A group
 * is taken when it lowers the squared deviation of the benchmark's count from the target count of
 * every class, centre and skin tone value it has. Only if a pass leaves the benchmark short does the
 * rule relax (lower in sum, then any group); no group may overshoot the target size. Swaps of
 * same-size groups then lower the remaining deviation.
 */
export function drawBenchmarkGroups(input: DrawInput): Set<number> {
  const cells = new Map<string, number>();
  const cellsOf = (lesion: StratifiedLesion) =>
    STRATUM_NAMES.map((name) => {
      const key = `${name}\u0000${STRATA[name](lesion)}`;
      if (!cells.has(key)) cells.set(key, cells.size);
      return cells.get(key)!;
    });
  const tally = (lesions: readonly StratifiedLesion[]): number[] => {
    const counts: number[] = [];
    for (const lesion of lesions) for (const cell of cellsOf(lesion)) counts[cell] = (counts[cell] ?? 0) + 1;
    return counts;
  };

  const share = (input.benchmark.length + input.target) / Math.max(1, input.released.length);
  const wanted = tally(input.released).map((n) => n * share);
  const counts = tally(input.benchmark);
  const effects: CellCounts[] = input.groups.map((g) => Object.entries(tally(g)).map(([cell, n]) => [Number(cell), n]));
  // How the squared deviation of each cell a group touches changes if it joins: c·(2·(count − wanted) + c).
  const cellDeltas = (effect: CellCounts) => effect.map(([cell, c]) => c * (2 * ((counts[cell] ?? 0) - wanted[cell]!) + c));
  const rules: ((effect: CellCounts) => boolean)[] = [
    (e) => cellDeltas(e).every((d) => d < 0),
    (e) => cellDeltas(e).reduce((a, b) => a + b) < 0,
    () => true,
  ];

  const order = input.groups
    .map((g, index) => ({ index, key: sha256(`${input.seed}\u0000${g.map((l) => l.lesion_id).sort().join('\u0000')}`) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((g) => g.index);
  const chosen = new Set<number>();
  let added = 0;
  fill: for (const rule of rules) {
    for (const index of order) {
      if (added >= input.target) break fill;
      const size = input.groups[index]!.length;
      if (chosen.has(index) || added + size > input.target || !rule(effects[index]!)) continue;
      chosen.add(index);
      added += size;
      for (const [cell, c] of effects[index]!) counts[cell] = (counts[cell] ?? 0) + c;
    }
  }
  improveBySwaps(chosen, order, input.groups.map((g) => g.length), effects, counts, wanted);
  return chosen;
}

/** Passes over the chosen groups at most; each pass that improves nothing ends the search. */
const MAX_SWAP_PASSES = 20;

/**
 * The greedy fills the benchmark in one sweep, so a group taken early can leave a cell off target that
 * a later group would have fit better. This swaps a chosen group for an unchosen one of the same size
 * whenever that lowers the total squared deviation from the targets, in the same seeded order, until
 * a pass finds nothing to improve. The benchmark's size never changes. Unchosen groups with the same
 * size and cells are interchangeable, so only the first of each kind (in seeded order) is tried.
 */
function improveBySwaps(chosen: Set<number>, order: readonly number[], sizes: readonly number[], effects: readonly CellCounts[], counts: number[], wanted: readonly number[]): void {
  const rank = new Map(order.map((index, position) => [index, position]));
  const kindOf = (index: number) => `${sizes[index]}|${effects[index]!.map(([cell, c]) => `${cell}:${c}`).sort().join(',')}`;
  // Unchosen groups by kind, each list in seeded order.
  const unchosen = new Map<string, number[]>();
  for (const index of order) if (!chosen.has(index)) unchosen.set(kindOf(index), [...(unchosen.get(kindOf(index)) ?? []), index]);
  const change = new Map<number, number>();
  const deviationDelta = (out: number, into: number) => {
    change.clear();
    for (const [cell, c] of effects[out]!) change.set(cell, (change.get(cell) ?? 0) - c);
    for (const [cell, c] of effects[into]!) change.set(cell, (change.get(cell) ?? 0) + c);
    let delta = 0;
    for (const [cell, d] of change) {
      const off = (counts[cell] ?? 0) - wanted[cell]!;
      delta += (off + d) ** 2 - off ** 2;
    }
    return delta;
  };
  const swap = (out: number, into: number) => {
    chosen.delete(out);
    chosen.add(into);
    for (const [cell, c] of effects[out]!) counts[cell] = (counts[cell] ?? 0) - c;
    for (const [cell, c] of effects[into]!) counts[cell] = (counts[cell] ?? 0) + c;
    const taken = unchosen.get(kindOf(into))!;
    taken.splice(taken.indexOf(into), 1);
    const back = unchosen.get(kindOf(out)) ?? [];
    const later = back.findIndex((i) => rank.get(i)! > rank.get(out)!);
    back.splice(later === -1 ? back.length : later, 0, out);
    unchosen.set(kindOf(out), back);
  };
  for (let pass = 0; pass < MAX_SWAP_PASSES; pass++) {
    let improved = false;
    for (const out of order) {
      if (!chosen.has(out)) continue;
      let best: { into: number; delta: number } | undefined;
      for (const kind of unchosen.values()) {
        const into = kind[0];
        if (into === undefined || sizes[into] !== sizes[out]) continue;
        const delta = deviationDelta(out, into);
        if (delta < -1e-9 && (!best || delta < best.delta)) best = { into, delta };
      }
      if (!best) continue;
      swap(out, best.into);
      improved = true;
    }
    if (!improved) return;
  }
}
