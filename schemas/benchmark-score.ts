import { z } from 'zod';
import { CLASSES, GROUND_TRUTH_HEADER, LesionId, type DiagnosisClass } from './release.ts';

/** Benchmark scoring: the predictions a participant submits, and the score report computed from them. */

const DiagnosisClassName = z.enum(CLASSES);

/** A decimal number as CSV text (`0.25`, `1`, `1.0`, `2.5e-3`); `Number()` alone would take `''` and `0x1`. */
const DecimalText = z
  .string()
  .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, { error: (issue) => `"${String(issue.input)}" is not a number` })
  .transform(Number);

export const Probability = DecimalText.refine((p) => p >= 0 && p <= 1, { error: (issue) => `${String(issue.input)} is not in [0, 1]` });

/** A ground-truth cell: one-hot, written `1.0` / `0.0`. */
const OneHot = DecimalText.refine((v) => v === 0 || v === 1, { error: (issue) => `${String(issue.input)} is neither 1.0 nor 0.0` });

const perClass = <T extends z.ZodType>(cell: T) => Object.fromEntries(CLASSES.map((c) => [c, cell])) as Record<DiagnosisClass, T>;

/** A predictions file has the ground truth's columns: `lesion_id` and one column per class, in any order. */
export const PREDICTIONS_HEADER = GROUND_TRUTH_HEADER;

/**
 * One row of a predictions CSV in the ISIC challenge format: the lesion and a probability per class,
 * columns in any order. Any lesion_id text is taken here; whether it is a benchmark lesion is checked
 * against the ground truth.
 */
export const PredictionRow = z.object({ lesion_id: z.string().min(1, 'is empty'), ...perClass(Probability) });
export type PredictionRow = z.infer<typeof PredictionRow>;

/** One row of `MILK10k_Test_GroundTruth.csv`, read as the lesion and its one class. */
export const GroundTruthRow = z
  .object({ lesion_id: LesionId, ...perClass(OneHot) })
  .refine((row) => CLASSES.filter((c) => row[c] === 1).length === 1, 'exactly one class must be 1.0')
  .transform((row) => ({ lesion_id: row.lesion_id, diagnosis_class: CLASSES.find((c) => row[c] === 1)! }));
export type LesionTruth = z.infer<typeof GroundTruthRow>;

/** A problem found in an input file; `row` is the 1-based data row, absent for the header or the file as a whole. */
export const FileProblem = z.object({ row: z.number().int().min(1).optional(), message: z.string() });
export type FileProblem = z.infer<typeof FileProblem>;

/** A metric that is undefined for a class (no positives, or no negatives) is null, never NaN. */
const Metric = z.number().min(0).max(1).nullable();

export const ClassScore = z.object({
  class: DiagnosisClassName,
  /** lesions of this class in the ground truth */
  lesions: z.number().int().nonnegative(),
  /** lesions whose arg-max prediction is this class */
  predicted: z.number().int().nonnegative(),
  /** false when the ground truth has no lesion of this class: then it is left out of every macro average */
  present: z.boolean(),
  sensitivity: Metric,
  specificity: Metric,
  f1: Metric,
  /** one-vs-rest ROC AUC from the probabilities; null unless the class has both positives and negatives */
  auc: Metric,
});
export type ClassScore = z.infer<typeof ClassScore>;

export const ScoreReport = z.object({
  lesions: z.number().int().positive(),
  /** mean sensitivity over the classes present in the ground truth */
  balancedAccuracy: z.number().min(0).max(1),
  /** mean F1 (= Dice) over the classes present in the ground truth */
  macroF1: z.number().min(0).max(1),
  /** mean AUC over the classes with both positives and negatives; null when there is none */
  macroAuc: Metric,
  aucClasses: z.number().int().nonnegative(),
  absentClasses: z.array(DiagnosisClassName),
  perClass: z.array(ClassScore),
  /** counts: rows are the true class, columns the arg-max predicted class, both in `classes` order */
  confusionMatrix: z.object({ classes: z.array(DiagnosisClassName), counts: z.array(z.array(z.number().int().nonnegative())) }),
});
export type ScoreReport = z.infer<typeof ScoreReport>;
