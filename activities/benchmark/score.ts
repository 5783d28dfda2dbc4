import { CLASS_METRICS, type BenchmarkMetrics, type ClassMetric, type LesionTruth, type PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES, type DiagnosisClass } from '../../schemas/release.ts';
import { argMaxConfusion, balancedAccuracy } from './arg-max-confusion.ts';
import { byScore, rankingMetrics, type Ranking } from './ranking-metrics.ts';
import { toCases, type ScoringCases } from './scoring-cases.ts';
import { THRESHOLD, thresholdMetrics, type BinaryCounts } from './threshold-metrics.ts';

/** Scores predictions against the benchmark ground truth; expects predictions checked by `readPredictions`. */
export function scoreBenchmark(truth: readonly LesionTruth[], predictions: readonly PredictionRow[]): BenchmarkMetrics {
  return scoreCases(toCases(truth, predictions));
}

/**
 * Every metric of the official scorer, computed its way: each class binarised on its own at
 * p > 0.5 (not arg-max), the ranking metrics from the class's probabilities, balanced accuracy from
 * the arg-max with ties undecided, and the headline macro Dice. Unlike the official scorer it also
 * scores a ground truth in which a class has no lesion: that class's sensitivity, Dice and ranking
 * metrics are null (there is nothing to find), and it is left out of every macro average.
 */
export function scoreCases(cases: ScoringCases, resampled?: Resampled): BenchmarkMetrics {
  const perClass = CLASSES.map((_, k) => classMetrics(cases, k, resampled));
  const present = perClass.filter((c) => c.lesions > 0);
  const macro = (metric: ClassMetric) => mean(present.flatMap((c) => (c.metrics[metric] === null ? [] : [c.metrics[metric]])));
  const macroAverage = Object.fromEntries(CLASS_METRICS.map((m) => [m, macro(m)])) as Record<ClassMetric, number | null>;
  const confusion = argMaxConfusion(cases.truth, cases.probabilities, CLASSES.length, resampled?.weights);
  const byClass = (metric: ClassMetric) => Object.fromEntries(CLASSES.map((c, k) => [c, perClass[k]!.metrics[metric]])) as Record<DiagnosisClass, number | null>;
  return {
    overall: macroAverage.dice,
    validation: macroAverage.dice,
    per_category: Object.fromEntries(CLASS_METRICS.map((m) => [m, byClass(m)])) as BenchmarkMetrics['per_category'],
    macro_average: macroAverage,
    aggregate: { balanced_accuracy: balancedAccuracy(confusion) },
    lesions: resampled ? resampled.weights.reduce((a, b) => a + b, 0) : cases.truth.length,
    classes: perClass.map(({ cls, lesions, predicted }) => ({ class: cls, lesions, predicted })),
    absent_classes: perClass.filter((c) => c.lesions === 0).map((c) => c.cls),
    undecided: confusion.undecided,
    confusion_matrix: { classes: [...CLASSES], predicted: [...CLASSES, 'undecided'], counts: confusion.counts },
  };
}

/**
 * A bootstrap resample of the cases, as the number of times each lesion was drawn, with each
 * class's ranking of the lesions (by `rankLesions`), which a resample does not change.
 */
export interface Resampled {
  weights: readonly number[];
  rankings: readonly Ranking[];
}

/** Per class, its positives, its probabilities, and the lesions by that probability, highest first. */
export function rankLesions(cases: ScoringCases): Ranking[] {
  return CLASSES.map((_, k) => {
    const scores = cases.probabilities.map((p) => p[k]!);
    return { positive: cases.truth.map((t) => t === k), scores, order: byScore(scores) };
  });
}

/** The macro Dice alone, for statistics that rescore many resamples: the same value as `scoreCases(cases).overall`. */
export function macroDice(cases: ScoringCases): number {
  const dice = CLASSES.flatMap((_, k) => {
    const counts = binaryCounts(cases, k);
    return counts.tp + counts.fn === 0 ? [] : [thresholdMetrics(counts).dice];
  });
  return mean(dice)!;
}

function binaryCounts(cases: ScoringCases, k: number, weights?: readonly number[]): BinaryCounts {
  // Plain locals rather than a keyed object: the bootstrap runs this for every class of thousands of resamples.
  let [tp, tn, fp, fn] = [0, 0, 0, 0];
  for (let i = 0; i < cases.truth.length; i++) {
    const weight = weights ? weights[i]! : 1;
    const predicted = cases.probabilities[i]![k]! > THRESHOLD;
    if (cases.truth[i] === k) {
      if (predicted) tp += weight;
      else fn += weight;
    } else if (predicted) fp += weight;
    else tn += weight;
  }
  return { tp, tn, fp, fn };
}

function classMetrics(cases: ScoringCases, k: number, resampled?: Resampled) {
  const counts = binaryCounts(cases, k, resampled?.weights);
  const lesions = counts.tp + counts.fn;
  const threshold = thresholdMetrics(counts);
  const ranking = rankingMetrics(
    resampled ? { ...resampled.rankings[k]!, weights: resampled.weights } : { positive: cases.truth.map((t) => t === k), scores: cases.probabilities.map((p) => p[k]!) },
  );
  // With no lesion of the class, sensitivity and Dice would be the official 0/0 "freebie" (1, or 0
  // after a single false positive): a number that says nothing about the class, so it is null.
  const metrics: Record<ClassMetric, number | null> = { ...threshold, ...ranking, ...(lesions === 0 ? { sensitivity: null, dice: null } : {}) };
  return { cls: CLASSES[k]!, lesions, predicted: counts.tp + counts.fp, metrics };
}

const mean = (values: readonly number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
