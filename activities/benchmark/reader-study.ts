import type { LesionTruth, ReaderScore, ReaderStudy } from '../../schemas/benchmark-score.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import { comparePaired, type Pairing } from './paired-comparison.ts';
import { scoreCases } from './score.ts';
import { scoreSet } from './scored-set.ts';
import { pickCases, toCases, type NamedPredictions, type ScoringCases } from './scoring-cases.ts';

/** A reader's diagnoses, one-hot or as probabilities, on all or some of the benchmark's lesions. */
export interface Reader extends NamedPredictions {
  file: string;
}

/**
 * Scores each reader on the lesions they read and the model on the same lesions, so that a reader
 * who skipped the hard cases is not compared with the model's score on all of them; then the means
 * over readers and the model's mean advantage over them.
 */
export function scoreReaderStudy(truth: readonly LesionTruth[], model: NamedPredictions & { cases: ScoringCases }, readers: readonly Reader[], bootstrap: BootstrapOptions): ReaderStudy {
  const pairings: Pairing[] = [];
  const scores: ReaderScore[] = readers.map((reader) => {
    const read = new Set(reader.rows.map((r) => r.lesion_id));
    const lesions = truth.filter((t) => read.has(t.lesion_id));
    const readerCases = toCases(lesions, reader.rows);
    const modelCases = pickCases(model.cases, model.cases.lesionIds.flatMap((id, row) => (read.has(id) ? [row] : [])));
    pairings.push({ a: modelCases, b: readerCases });
    return {
      reader: reader.name,
      file: reader.file,
      lesion_ids: readerCases.lesionIds,
      unread_lesion_ids: truth.filter((t) => !read.has(t.lesion_id)).map((t) => t.lesion_id),
      metrics: scoreSet(readerCases, bootstrap),
      model: scoreCases(modelCases),
      model_vs_reader: comparePaired([{ a: modelCases, b: readerCases }], { a: model.name, b: reader.name }, bootstrap),
    };
  });
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    readers: scores,
    reader_mean: {
      overall: mean(scores.map((s) => s.metrics.overall!)),
      balanced_accuracy: mean(scores.map((s) => s.metrics.aggregate.balanced_accuracy!)),
      model_overall: mean(scores.map((s) => s.model.overall!)),
    },
    model_vs_readers: comparePaired(pairings, { a: model.name, b: 'reader mean' }, bootstrap),
  };
}
