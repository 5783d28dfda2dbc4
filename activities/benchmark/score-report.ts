import type { LesionAttributes, LesionTruth, PredictionRow, ScoredSet, ScoreReport } from '../../schemas/benchmark-score.ts';
import { bootstrapIntervals, type BootstrapOptions } from './bootstrap.ts';
import { comparePaired } from './paired-comparison.ts';
import { scoreCases } from './score.ts';
import { pickCases, toCases, type ScoringCases } from './scoring-cases.ts';
import { subgroupRows } from './subgroups.ts';

/** Named predictions: the name is how the report refers to them (the file, or a reader id). */
export interface NamedPredictions {
  name: string;
  rows: readonly PredictionRow[];
}

export interface ScoreRequest {
  truth: readonly LesionTruth[];
  predictions: NamedPredictions;
  /** the release's description of the benchmark lesions, for subgroups; null when there is none */
  attributes: readonly LesionAttributes[] | null;
  /** other predictions on every benchmark lesion, compared with `predictions` */
  compare?: NamedPredictions;
  /** null: no intervals */
  bootstrap: BootstrapOptions | null;
}

/** Official metrics of a set of lesions, with their bootstrap intervals when asked for. */
export function scoreSet(cases: ScoringCases, bootstrap: BootstrapOptions | null): ScoredSet {
  return { ...scoreCases(cases), intervals: bootstrap ? bootstrapIntervals(cases, bootstrap) : null };
}

/** Everything `milk benchmark score` reports, from inputs already read and checked. */
export function buildScoreReport(request: ScoreRequest): ScoreReport {
  const { truth, predictions, attributes, compare, bootstrap } = request;
  const cases = toCases(truth, predictions.rows);
  const subgroups = attributes
    ? subgroupRows(cases, attributes).map(({ attribute, value, rows }) => ({ attribute, value, ...scoreSet(pickCases(cases, rows), bootstrap) }))
    : undefined;
  if (compare && !bootstrap) throw new Error('a paired comparison needs resamples for its interval and permutations for its p-value');
  const comparison = compare && bootstrap ? comparePaired([{ a: cases, b: toCases(truth, compare.rows) }], { a: predictions.name, b: compare.name }, bootstrap) : undefined;
  return { ...scoreSet(cases, bootstrap), subgroups, comparison };
}
