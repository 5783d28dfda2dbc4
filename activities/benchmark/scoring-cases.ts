import type { LesionTruth, PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';

/**
 * Lesions ready to score, as parallel arrays (the bootstrap rescores thousands of resamples, so
 * these are indices and plain numbers rather than records): per lesion its id, the index in CLASSES
 * of its true class, and its probabilities in CLASSES order.
 */
export interface ScoringCases {
  lesionIds: string[];
  truth: number[];
  probabilities: number[][];
}

/** Named predictions: the name is how the report refers to them (the file, or a reader id). */
export interface NamedPredictions {
  name: string;
  rows: readonly PredictionRow[];
}

/** Pairs each ground-truth lesion with its prediction; `predictions` must hold every lesion of `truth` (checked by `readPredictions`). */
export function toCases(truth: readonly LesionTruth[], predictions: readonly PredictionRow[]): ScoringCases {
  const byLesion = new Map(predictions.map((p) => [p.lesion_id, p]));
  return {
    lesionIds: truth.map((t) => t.lesion_id),
    truth: truth.map((t) => CLASSES.indexOf(t.diagnosis_class)),
    probabilities: truth.map((t) => {
      const row = byLesion.get(t.lesion_id);
      if (!row) throw new Error(`no prediction for lesion ${t.lesion_id}`);
      return CLASSES.map((c) => row[c]);
    }),
  };
}

/** The cases at `indices`, in that order; an index may repeat (a bootstrap resample). */
export function pickCases(cases: ScoringCases, indices: readonly number[]): ScoringCases {
  return {
    lesionIds: indices.map((i) => cases.lesionIds[i]!),
    truth: indices.map((i) => cases.truth[i]!),
    probabilities: indices.map((i) => cases.probabilities[i]!),
  };
}
