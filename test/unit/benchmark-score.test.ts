import { describe, expect, it } from 'vitest';
import { scoreBenchmark } from '../../activities/benchmark/score.ts';
import { ScoreReport, type LesionTruth, type PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES, type DiagnosisClass } from '../../schemas/release.ts';

const id = (n: number) => `IL_${String(n).padStart(7, '0')}`;
/** Lesions IL_0000001.. with the given true classes. */
const truthOf = (classes: DiagnosisClass[]): LesionTruth[] => classes.map((c, i) => ({ lesion_id: id(i + 1), diagnosis_class: c }));
/** A prediction row per lesion, in the same order; classes not named get probability 0. */
const predictionsOf = (rows: Partial<Record<DiagnosisClass, number>>[]): PredictionRow[] =>
  rows.map((p, i) => ({ lesion_id: id(i + 1), ...Object.fromEntries(CLASSES.map((c) => [c, p[c] ?? 0])) }) as PredictionRow);

/** AUC by its definition, independent of the rank formula: the share of (positive, negative) pairs ordered right, ties counting one half. */
function pairwiseAuc(positives: number[], negatives: number[]): number {
  const pairs = positives.flatMap((p) => negatives.map((n) => (p > n ? 1 : p === n ? 0.5 : 0)));
  return pairs.reduce<number>((a, b) => a + b, 0) / pairs.length;
}

const scoreOf = (report: ScoreReport, cls: DiagnosisClass) => report.perClass.find((c) => c.class === cls)!;
/** The confusion matrix restricted to a few classes, rows true, columns predicted. */
const confusionOf = (report: ScoreReport, classes: DiagnosisClass[]) =>
  classes.map((t) => classes.map((p) => report.confusionMatrix.counts[CLASSES.indexOf(t)]![CLASSES.indexOf(p)]));

describe('scoreBenchmark', () => {
  it('gives every metric 1 for perfect predictions', () => {
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'BCC']),
      predictionsOf([{ MEL: 0.9, NV: 0.1 }, { MEL: 0.6, BCC: 0.4 }, { NV: 0.7, MEL: 0.3 }, { BCC: 0.5, NV: 0.2 }]),
    );
    expect(ScoreReport.parse(report)).toEqual(report);
    expect(report).toMatchObject({ lesions: 4, balancedAccuracy: 1, macroF1: 1, macroAuc: 1, aucClasses: 3 });
    expect(confusionOf(report, ['BCC', 'MEL', 'NV'])).toEqual([[1, 0, 0], [0, 2, 0], [0, 0, 1]]);
    expect(scoreOf(report, 'MEL')).toEqual({ class: 'MEL', lesions: 2, predicted: 2, present: true, sensitivity: 1, specificity: 1, f1: 1, auc: 1 });
    expect(report.absentClasses).toEqual(['AKIEC', 'BEN_OTH', 'BKL', 'DF', 'INF', 'MAL_OTH', 'SCCKA', 'VASC']);
  });

  it('scores predictions that always name one class: recall 1 there, 0 elsewhere; AUC still ranks by probability', () => {
    // Truth MEL, MEL, NV, NV; NV has the highest probability everywhere, yet MEL's probability ranks MEL lesions first.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ NV: 0.6, MEL: 0.4 }, { NV: 0.7, MEL: 0.3 }, { NV: 0.8, MEL: 0.2 }, { NV: 0.9, MEL: 0.1 }]),
    );
    // By hand: rows true (MEL, NV), columns predicted.
    expect(confusionOf(report, ['MEL', 'NV'])).toEqual([[0, 2], [0, 2]]);
    // NV: TP 2, FP 2, FN 0, TN 0. MEL: TP 0, FP 0, FN 2, TN 2.
    expect(scoreOf(report, 'NV')).toMatchObject({ lesions: 2, predicted: 4, sensitivity: 2 / 2, specificity: 0 / 2, f1: (2 * 2) / (2 * 2 + 2 + 0) });
    expect(scoreOf(report, 'MEL')).toMatchObject({ lesions: 2, predicted: 0, sensitivity: 0 / 2, specificity: 2 / 2, f1: 0 });
    expect(report.balancedAccuracy).toBe((1 + 0) / 2);
    expect(report.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(scoreOf(report, 'MEL').auc).toBe(pairwiseAuc([0.4, 0.3], [0.2, 0.1]));
    expect(scoreOf(report, 'NV').auc).toBe(pairwiseAuc([0.8, 0.9], [0.6, 0.7]));
    // Absent classes were never predicted: specificity 1, nothing else defined.
    expect(scoreOf(report, 'DF')).toEqual({ class: 'DF', lesions: 0, predicted: 0, present: false, sensitivity: null, specificity: 1, f1: null, auc: null });
  });

  it('counts tied probabilities as half a correctly ordered pair in the AUC', () => {
    // MEL scores: positives 0.8 and 0.5, negatives 0.5 and 0.2; the 0.5 pair is a tie.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ MEL: 0.8, NV: 0.2 }, { MEL: 0.5, NV: 0.4 }, { MEL: 0.5, NV: 0.5 }, { MEL: 0.2, NV: 0.8 }]),
    );
    expect(scoreOf(report, 'MEL').auc).toBe(pairwiseAuc([0.8, 0.5], [0.5, 0.2]));
    expect(scoreOf(report, 'MEL').auc).toBe(3.5 / 4);
    // Lesion 3 ties MEL and NV at 0.5: the arg-max takes the class first in CLASSES order, MEL.
    expect(confusionOf(report, ['MEL', 'NV'])).toEqual([[2, 0], [1, 1]]);
  });

  it('gives AUC 0.5 when every lesion has the same probability for a class', () => {
    const report = scoreBenchmark(truthOf(['MEL', 'NV', 'NV']), predictionsOf([{ MEL: 0.3, NV: 0.7 }, { MEL: 0.3, NV: 0.7 }, { MEL: 0.3, NV: 0.7 }]));
    expect(scoreOf(report, 'MEL').auc).toBe(0.5);
  });

  it('reports a class absent from the ground truth without averaging it in', () => {
    // Truth MEL, MEL, NV, NV; lesion 2 (MEL) is predicted DF, which no lesion has.
    const report = scoreBenchmark(
      truthOf(['MEL', 'MEL', 'NV', 'NV']),
      predictionsOf([{ MEL: 0.8, NV: 0.2 }, { DF: 0.5, MEL: 0.3, NV: 0.2 }, { NV: 0.7, MEL: 0.3 }, { NV: 0.9, MEL: 0.1 }]),
    );
    expect(confusionOf(report, ['DF', 'MEL', 'NV'])).toEqual([[0, 0, 0], [1, 1, 0], [0, 0, 2]]);
    expect(scoreOf(report, 'DF')).toEqual({ class: 'DF', lesions: 0, predicted: 1, present: false, sensitivity: null, specificity: 3 / 4, f1: null, auc: null });
    expect(report.absentClasses).toContain('DF');
    // Averages over MEL and NV only: MEL recall 1/2, F1 2·1/(2·1 + 0 + 1); NV recall 1, F1 1.
    expect(report.balancedAccuracy).toBe((1 / 2 + 1) / 2);
    expect(report.macroF1).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(report.aucClasses).toBe(2);
    expect(report.macroAuc).toBe((pairwiseAuc([0.8, 0.3], [0.3, 0.1]) + pairwiseAuc([0.7, 0.9], [0.2, 0.2])) / 2);
  });

  it('leaves AUC undefined when the ground truth holds a single class', () => {
    const report = scoreBenchmark(truthOf(['NV', 'NV']), predictionsOf([{ NV: 0.9 }, { MEL: 0.6, NV: 0.4 }]));
    expect(scoreOf(report, 'NV')).toMatchObject({ sensitivity: 1 / 2, specificity: null, auc: null });
    expect(report).toMatchObject({ macroAuc: null, aucClasses: 0, balancedAccuracy: 1 / 2 });
  });
});
