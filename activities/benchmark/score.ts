import type { ClassScore, LesionTruth, PredictionRow, ScoreReport } from '../../schemas/benchmark-score.ts';
import { CLASSES, type DiagnosisClass } from '../../schemas/release.ts';
import { rocAuc } from './roc-auc.ts';

/**
 * Scores predictions against the benchmark ground truth. The predicted class of a lesion is the
 * arg-max of its probabilities (a tie goes to the class first in CLASSES order, as numpy's argmax
 * does). Classes absent from the ground truth are reported but left out of every macro average.
 * Expects predictions checked by `readPredictions`: one per ground-truth lesion.
 */
export function scoreBenchmark(truth: readonly LesionTruth[], predictions: readonly PredictionRow[]): ScoreReport {
  const byLesion = new Map(predictions.map((p) => [p.lesion_id, p]));
  const cases = truth.map((t) => {
    const probabilities = byLesion.get(t.lesion_id);
    if (!probabilities) throw new Error(`no prediction for lesion ${t.lesion_id}`);
    return { truth: t.diagnosis_class, probabilities };
  });
  const counts = CLASSES.map(() => CLASSES.map(() => 0));
  for (const c of cases) counts[CLASSES.indexOf(c.truth)]![CLASSES.indexOf(argMax(c.probabilities))]!++;

  const perClass = CLASSES.map((cls, k): ClassScore => {
    const truePositives = counts[k]![k]!;
    const lesions = sum(counts[k]!);
    const predicted = sum(counts.map((row) => row[k]!));
    const negatives = cases.length - lesions;
    const falsePositives = predicted - truePositives;
    const scores = (isPositive: boolean) => cases.filter((c) => (c.truth === cls) === isPositive).map((c) => c.probabilities[cls]);
    return {
      class: cls,
      lesions,
      predicted,
      present: lesions > 0,
      sensitivity: lesions > 0 ? truePositives / lesions : null,
      specificity: negatives > 0 ? (negatives - falsePositives) / negatives : null,
      // F1 = Dice = 2TP / (2TP + FP + FN), where FP + FN + 2TP = predicted + lesions.
      f1: lesions > 0 ? (2 * truePositives) / (predicted + lesions) : null,
      auc: lesions > 0 && negatives > 0 ? rocAuc(scores(true), scores(false)) : null,
    };
  });
  const present = perClass.filter((c) => c.present);
  const aucs = perClass.flatMap((c) => (c.auc === null ? [] : [c.auc]));
  return {
    lesions: cases.length,
    balancedAccuracy: mean(present.map((c) => c.sensitivity!)),
    macroF1: mean(present.map((c) => c.f1!)),
    macroAuc: aucs.length > 0 ? mean(aucs) : null,
    aucClasses: aucs.length,
    absentClasses: perClass.filter((c) => !c.present).map((c) => c.class),
    perClass,
    confusionMatrix: { classes: [...CLASSES], counts },
  };
}

function argMax(probabilities: Record<DiagnosisClass, number>): DiagnosisClass {
  return CLASSES.reduce((best, cls) => (probabilities[cls] > probabilities[best] ? cls : best));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const mean = (values: readonly number[]) => sum(values) / values.length;
