import { CLASS_METRICS, type BenchmarkMetrics, type Interval, type MetricIntervals } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { rankLesions, scoreCases } from './score.ts';
import type { ScoringCases } from './scoring-cases.ts';
import { seededRandom } from './seeded-random.ts';

export interface BootstrapOptions {
  /** resamples drawn; also the permutations of a paired comparison */
  resamples: number;
  seed: number;
}

/** The two-sided coverage of every interval. */
export const INTERVAL_LEVEL = 0.95;

/** `n` indices drawn uniformly with replacement from 0..n-1: one bootstrap resample of n lesions. */
export function resample(n: number, random: () => number): number[] {
  return Array.from({ length: n }, () => Math.floor(random() * n));
}

/**
 * The percentile interval of a statistic's bootstrap values: the 2.5th and 97.5th percentiles,
 * interpolated linearly between order statistics (numpy's default). Null without any value (a
 * metric undefined in every resample).
 */
export function percentileInterval(values: readonly number[]): Interval {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const below = Math.floor(position);
    return sorted[below]! + (sorted[Math.min(below + 1, sorted.length - 1)]! - sorted[below]!) * (position - below);
  };
  return { low: at((1 - INTERVAL_LEVEL) / 2), high: at((1 + INTERVAL_LEVEL) / 2) };
}

/**
 * Bootstrap intervals for every official metric: lesions are resampled with replacement and each
 * resample scored in full (as counts of how often each lesion was drawn, which scores exactly as the
 * drawn lesions would, without sorting each resample again). A resample can miss a rare class entirely; a metric then undefined in it
 * is left out of that metric's interval, as its macro averages leave the class out.
 */
export function bootstrapIntervals(cases: ScoringCases, { resamples, seed }: BootstrapOptions): MetricIntervals {
  const random = seededRandom(seed);
  const rankings = rankLesions(cases);
  const scored: BenchmarkMetrics[] = [];
  for (let r = 0; r < resamples; r++) {
    const weights = new Array<number>(cases.truth.length).fill(0);
    for (const i of resample(cases.truth.length, random)) weights[i]!++;
    scored.push(scoreCases(cases, { weights, rankings }));
  }
  const interval = (value: (m: BenchmarkMetrics) => number | null) => percentileInterval(scored.flatMap((m) => (value(m) === null ? [] : [value(m)!])));
  const byMetric = <T>(cell: (metric: (typeof CLASS_METRICS)[number]) => T) => Object.fromEntries(CLASS_METRICS.map((m) => [m, cell(m)]));
  return {
    level: INTERVAL_LEVEL,
    resamples,
    seed,
    overall: interval((m) => m.overall),
    validation: interval((m) => m.validation),
    per_category: byMetric((metric) => Object.fromEntries(CLASSES.map((c) => [c, interval((m) => m.per_category[metric][c])]))) as MetricIntervals['per_category'],
    macro_average: byMetric((metric) => interval((m) => m.macro_average[metric])) as MetricIntervals['macro_average'],
    aggregate: { balanced_accuracy: interval((m) => m.aggregate.balanced_accuracy) },
  };
}
