import type { PairedComparison } from '../../schemas/benchmark-score.ts';
import { INTERVAL_LEVEL, percentileInterval, resample, type BootstrapOptions } from './bootstrap.ts';
import { macroDice } from './score.ts';
import { pickCases, type ScoringCases } from './scoring-cases.ts';
import { seededRandom } from './seeded-random.ts';

/** Two scorings of the same lesions in the same order: `a.truth` and `b.truth` are equal. */
export interface Pairing {
  a: ScoringCases;
  b: ScoringCases;
}

/**
 * The mean over pairings of macro Dice(a) - macro Dice(b), with a lesion-level bootstrap interval
 * and a paired permutation p-value. Pairings may cover different lesions (readers who read
 * different subsets): lesions are resampled, and permuted, over the union, and each pairing is
 * rescored on the lesions of the resample it holds, so a lesion shared by pairings moves in all of them.
 */
export function comparePaired(pairings: readonly Pairing[], names: { a: string; b: string }, { resamples, seed }: BootstrapOptions): PairedComparison {
  const lesions = [...new Set(pairings.flatMap((p) => p.a.lesionIds))].sort();
  const rowOf = pairings.map((p) => new Map(p.a.lesionIds.map((id, row) => [id, row])));
  const meanOf = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
  const observed = { a: meanOf(pairings.map((p) => macroDice(p.a))), b: meanOf(pairings.map((p) => macroDice(p.b))) };
  const difference = observed.a - observed.b;

  const random = seededRandom(seed);
  const bootstrap: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const drawn = resample(lesions.length, random).map((i) => lesions[i]!);
    const differences = pairings.flatMap((p, k) => {
      const rows = drawn.flatMap((id) => (rowOf[k]!.has(id) ? [rowOf[k]!.get(id)!] : []));
      // A small reader subset can be missed by a resample altogether: that pairing sits this one out.
      return rows.length === 0 ? [] : [macroDice(pickCases(p.a, rows)) - macroDice(pickCases(p.b, rows))];
    });
    if (differences.length > 0) bootstrap.push(meanOf(differences));
  }

  // Under the null hypothesis the two predictions of a lesion are exchangeable.
  let asExtreme = 0;
  for (let r = 0; r < resamples; r++) {
    const swapped = new Set(lesions.filter(() => random() < 0.5));
    const permuted = pairings.map((p) => {
      const swap = p.a.lesionIds.map((id) => swapped.has(id));
      const a = { ...p.a, probabilities: p.a.probabilities.map((row, i) => (swap[i] ? p.b.probabilities[i]! : row)) };
      const b = { ...p.b, probabilities: p.b.probabilities.map((row, i) => (swap[i] ? p.a.probabilities[i]! : row)) };
      return macroDice(a) - macroDice(b);
    });
    // The tolerance keeps a permutation that reproduces the observed split from losing to rounding.
    if (Math.abs(meanOf(permuted)) >= Math.abs(difference) - 1e-12) asExtreme++;
  }
  return {
    ...names,
    lesions: lesions.length,
    a_overall: observed.a,
    b_overall: observed.b,
    difference,
    interval: percentileInterval(bootstrap),
    // Counting the observed split as one of the permutations keeps p above 0, as a permutation test's p must be.
    p_value: (asExtreme + 1) / (resamples + 1),
    level: INTERVAL_LEVEL,
    resamples,
    seed,
  };
}
