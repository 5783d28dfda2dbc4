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
 * rule relax (lower in sum, then any group); no group may overshoot the target size.
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
  for (const rule of rules) {
    for (const index of order) {
      if (added >= input.target) return chosen;
      const size = input.groups[index]!.length;
      if (chosen.has(index) || added + size > input.target || !rule(effects[index]!)) continue;
      chosen.add(index);
      added += size;
      for (const [cell, c] of effects[index]!) counts[cell] = (counts[cell] ?? 0) + c;
    }
  }
  return chosen;
}
