import type { SplitRow, SplitProportions, StratifiedLesion, ValueProportion } from '../../schemas/split.ts';
import { STRATA, STRATUM_NAMES } from './strata.ts';

const percent = (count: number, total: number) => (total === 0 ? 0 : (100 * count) / total);

/**
 * The share of every class, centre and skin tone in the benchmark, in train and overall, and how far
 * benchmark and train differ (percentage points). Lesions without an assignment are left out.
 */
export function splitProportions(lesions: readonly StratifiedLesion[], assignments: readonly SplitRow[]): SplitProportions {
  const sideOf = new Map(assignments.map((a) => [a.lesion_id, a.split]));
  const assigned = lesions.filter((l) => sideOf.has(l.lesion_id));
  const benchmark = assigned.filter((l) => sideOf.get(l.lesion_id) === 'benchmark').length;
  const train = assigned.length - benchmark;
  const strata = STRATUM_NAMES.map((stratum) => {
    const counts = new Map<string, { benchmark: number; train: number }>();
    for (const lesion of assigned) {
      const value = STRATA[stratum](lesion);
      const count = counts.get(value) ?? { benchmark: 0, train: 0 };
      count[sideOf.get(lesion.lesion_id)!] += 1;
      counts.set(value, count);
    }
    const values: ValueProportion[] = [...counts]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([value, count]) => {
        const benchmarkPct = percent(count.benchmark, benchmark);
        const trainPct = percent(count.train, train);
        return { value, benchmarkPct, trainPct, allPct: percent(count.benchmark + count.train, assigned.length), differencePp: Math.abs(benchmarkPct - trainPct) };
      });
    return { stratum, values, maxDifferencePp: Math.max(0, ...values.map((v) => v.differencePp)) };
  });
  return { benchmark, train, strata, maxDifferencePp: Math.max(0, ...strata.map((s) => s.maxDifferencePp)) };
}
