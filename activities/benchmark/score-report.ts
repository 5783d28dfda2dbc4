import type { LesionAttributes, LesionTruth, ScoreReport } from '../../schemas/benchmark-score.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import { comparePaired } from './paired-comparison.ts';
import { scoreReaderStudy, type Reader } from './reader-study.ts';
import { scoreSet } from './scored-set.ts';
import { pickCases, toCases, type NamedPredictions } from './scoring-cases.ts';
import { subgroupRows } from './subgroups.ts';

export interface ScoreRequest {
  truth: readonly LesionTruth[];
  predictions: NamedPredictions;
  /** the release's description of the benchmark lesions, for subgroups; null when there is none */
  attributes: readonly LesionAttributes[] | null;
  /** other predictions on every benchmark lesion, compared with `predictions` */
  compare?: NamedPredictions;
  /** human readers, each on the lesions they read */
  readers?: readonly Reader[];
  /** null: no intervals */
  bootstrap: BootstrapOptions | null;
}

/** Everything `milk benchmark score` reports, from inputs already read and checked. */
export function buildScoreReport(request: ScoreRequest): ScoreReport {
  const { truth, predictions, attributes, compare, readers = [], bootstrap } = request;
  const cases = toCases(truth, predictions.rows);
  const subgroups = attributes
    ? subgroupRows(cases, attributes).map(({ attribute, value, rows }) => ({ attribute, value, ...scoreSet(pickCases(cases, rows), bootstrap) }))
    : undefined;
  if ((compare || readers.length > 0) && !bootstrap) throw new Error('a comparison needs resamples for its interval and permutations for its p-value');
  const comparison = compare && bootstrap ? comparePaired([{ a: cases, b: toCases(truth, compare.rows) }], { a: predictions.name, b: compare.name }, bootstrap) : undefined;
  const readerStudy = readers.length > 0 && bootstrap ? scoreReaderStudy(truth, { ...predictions, cases }, readers, bootstrap) : undefined;
  return { ...scoreSet(cases, bootstrap), subgroups, comparison, reader_study: readerStudy };
}
