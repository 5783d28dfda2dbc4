import { describe, expect, it } from 'vitest';
import { scoreBenchmark } from '../../activities/benchmark/score.ts';
import { BenchmarkMetrics, type LesionTruth, type PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES, type DiagnosisClass } from '../../schemas/release.ts';

const id = (n: number) => `IL_${String(n).padStart(7, '0')}`;
/** Lesions IL_0000001.. with the given true classes. */
const truthOf = (classes: DiagnosisClass[]): LesionTruth[] => classes.map((c, i) => ({ lesion_id: id(i + 1), diagnosis_class: c }));
/** A prediction row per lesion, in the same order; classes not named get probability 0. */
const predictionsOf = (rows: Partial<Record<DiagnosisClass, number>>[]): PredictionRow[] =>
  rows.map((p, i) => ({ lesion_id: id(i + 1), ...Object.fromEntries(CLASSES.map((c) => [c, p[c] ?? 0])) }) as PredictionRow);

/** AUC by its definition, independent of the curve: the share of (positive, negative) pairs ordered right, ties counting one half. */
function pairwiseAuc(positives: number[], negatives: number[]): number {
  const pairs = positives.flatMap((p) => negatives.map((n) => (p > n ? 1 : p === n ? 0.5 : 0)));
  return pairs.reduce<number>((a, b) => a + b, 0) / pairs.length;
}

/** One class's nine official metrics. */
const metricsOf = (report: BenchmarkMetrics, cls: DiagnosisClass) =>
  Object.fromEntries(Object.entries(report.per_category).map(([metric, byClass]) => [metric, byClass[cls]]));
/** The arg-max confusion matrix restricted to a few classes (rows true, columns predicted), then the undecided column. */
const confusionOf = (report: BenchmarkMetrics, classes: DiagnosisClass[]) =>
  classes.map((t) => [...classes.map((p) => report.confusion_matrix.counts[CLASSES.indexOf(t)]![CLASSES.indexOf(p)]), report.confusion_matrix.counts[CLASSES.indexOf(t)]!.at(-1)]);

describe('scoreBenchmark', () => {
  it('gives every metric 1 for perfect predictions, over the classes present', () => {
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'BCC']),
      predictionsOf([{ MEL: 0.9, NV: 0.1 }, { MEL: 0.6, BCC: 0.4 }, { NV: 0.7, MEL: 0.3 }, { BCC: 0.51, NV: 0.2 }]),
    );
    expect(BenchmarkMetrics.parse(report)).toEqual(report);
    expect(report).toMatchObject({ lesions: 4, overall: 1, validation: 1, aggregate: { balanced_accuracy: 1 }, undecided: 0 });
    expect(report.macro_average).toEqual({ accuracy: 1, sensitivity: 1, specificity: 1, dice: 1, ppv: 1, npv: 1, auc: 1, auc_sens_80: 1, ap: 1 });
    expect(confusionOf(report, ['BCC', 'MEL', 'NV'])).toEqual([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0]]);
    expect(report.absent_classes).toEqual(['AKIEC', 'BEN_OTH', 'BKL', 'DF', 'INF', 'MAL_OTH', 'SCCKA', 'VASC']);
  });

  it('binarises each class on its own at p > 0.5, not by arg-max', () => {
    // Lesion 1 (MEL) passes MEL and NV; lesion 2 (MEL) passes nothing; lesion 3 (NV) is exactly 0.5, which does not pass.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ MEL: 0.7, NV: 0.6 }, { MEL: 0.45, NV: 0.3 }, { NV: 0.5, MEL: 0.1 }, { NV: 0.9 }]),
    );
    // MEL: TP 1, FN 1, FP 0, TN 2. NV: TP 1, FN 1, FP 1, TN 1.
    expect(metricsOf(report, 'MEL')).toMatchObject({ accuracy: 3 / 4, sensitivity: 1 / 2, specificity: 1, dice: 2 / 3, ppv: 1, npv: 2 / 3 });
    expect(metricsOf(report, 'NV')).toMatchObject({ accuracy: 2 / 4, sensitivity: 1 / 2, specificity: 1 / 2, dice: 2 / 4, ppv: 1 / 2, npv: 1 / 2 });
    expect(report.overall).toBe((2 / 3 + 2 / 4) / 2);
    expect(report.classes.find((c) => c.class === 'NV')).toEqual({ class: 'NV', lesions: 2, predicted: 2 });
    // The arg-max gets all four right, so balanced accuracy is 1 while Dice is not.
    expect(report.aggregate.balanced_accuracy).toBe(1);
  });

  it('scores a class capped below the threshold Dice 0, whatever its ranking', () => {
    const report = scoreBenchmark(truthOf(['MEL', 'NV']), predictionsOf([{ MEL: 0.45, NV: 0.1 }, { NV: 0.9, MEL: 0.2 }]));
    // MEL is never predicted: Dice 0, PPV the official "nothing predicted" 1, yet AUC 1.
    expect(metricsOf(report, 'MEL')).toMatchObject({ sensitivity: 0, dice: 0, ppv: 1, auc: 1 });
    expect(report.overall).toBe((0 + 1) / 2);
  });

  it('counts a lesion whose top probability is tied as undecided, wrong for balanced accuracy', () => {
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ MEL: 0.8, NV: 0.2 }, { MEL: 0.4, NV: 0.4 }, { MEL: 0.5, NV: 0.5 }, { MEL: 0.2, NV: 0.8 }]),
    );
    expect(report.undecided).toBe(2);
    expect(confusionOf(report, ['MEL', 'NV'])).toEqual([[1, 0, 1], [0, 1, 1]]);
    expect(report.aggregate.balanced_accuracy).toBe((1 / 2 + 1 / 2) / 2);
    // The ranking counts a tie between a positive and a negative as half a pair.
    expect(metricsOf(report, 'MEL').auc).toBe(pairwiseAuc([0.8, 0.4], [0.5, 0.2]));
  });

  it('computes AUC, the raw partial AUC above 80% sensitivity and average precision from the ranking', () => {
    // MEL scores, positives 0.9, 0.6, 0.3, negatives 0.8, 0.4, 0.2, 0.1.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'MEL', 'NV', 'NV', 'NV', 'NV']),
      predictionsOf([0.9, 0.6, 0.3, 0.8, 0.4, 0.2, 0.1].map((mel) => ({ MEL: mel, NV: 1 - mel }))),
    );
    const mel = metricsOf(report, 'MEL');
    expect(mel.auc).toBe(pairwiseAuc([0.9, 0.6, 0.3], [0.8, 0.4, 0.2, 0.1]));
    // By hand: sensitivity reaches 80% only at tpr 1, fpr 1/2, so the part of the curve from there is fpr 1/2 to 1 at tpr 1.
    // McClish's correction would rescale it; the official figure is the raw area.
    expect(mel.auc_sens_80).toBe(0.5);
    // Recall steps of 1/3 at precision 1, 2/3 and 3/5.
    expect(mel.ap).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 15);
  });

  it('scores a ground truth with absent classes: their positive-dependent metrics are null and no macro average counts them', () => {
    // Lesion 2 (MEL) is predicted DF, which no lesion has.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ MEL: 0.8, NV: 0.2 }, { DF: 0.6, MEL: 0.3, NV: 0.2 }, { NV: 0.7, MEL: 0.3 }, { NV: 0.9, MEL: 0.1 }]),
    );
    expect(metricsOf(report, 'DF')).toEqual({ accuracy: 3 / 4, sensitivity: null, specificity: 3 / 4, dice: null, ppv: 0, npv: 1, auc: null, auc_sens_80: null, ap: null });
    expect(report.absent_classes).toContain('DF');
    // MEL: Dice 2·1/(2 + 0 + 1); NV: 1. Balanced accuracy over MEL (1/2) and NV (1) only.
    expect(report.overall).toBeCloseTo((2 / 3 + 1) / 2, 15);
    expect(report.aggregate.balanced_accuracy).toBe((1 / 2 + 1) / 2);
    expect(report.macro_average.specificity).toBe((1 + 1) / 2);
  });

  it('leaves the AUCs undefined when the ground truth holds a single class', () => {
    const report = scoreBenchmark(truthOf(['NV', 'NV']), predictionsOf([{ NV: 0.9 }, { MEL: 0.6, NV: 0.4 }]));
    expect(metricsOf(report, 'NV')).toMatchObject({ sensitivity: 1 / 2, specificity: 1, auc: null, auc_sens_80: null, ap: 1 });
    expect(report.macro_average).toMatchObject({ auc: null, auc_sens_80: null, dice: 2 / 3 });
  });
});
