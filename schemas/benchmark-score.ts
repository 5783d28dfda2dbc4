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
 * The id column the official scorer also takes in place of `lesion_id` (ISIC's image-level
 * challenges name it so); ids in either column may end in `.jpg`, which the official scorer strips.
 */
export const IMAGE_ID_COLUMN = 'image';

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

/**
 * The per-class metrics of the official scorer (`isic-challenge-scoring`, `classification`), under
 * its names and in its order. The first six come from the class binarised at p > 0.5; the last three
 * rank the class's probabilities.
 */
export const CLASS_METRICS = ['accuracy', 'sensitivity', 'specificity', 'dice', 'ppv', 'npv', 'auc', 'auc_sens_80', 'ap'] as const;
export type ClassMetric = (typeof CLASS_METRICS)[number];

/**
 * A metric's value; null where it is undefined and the official scorer gives no rule (it stops with
 * an error there): the metrics that need positives, for a class absent from the ground truth, and
 * the AUCs of a class with no negatives. Never NaN.
 */
const Metric = z.number().min(0).max(1).nullable();
const perMetric = <T extends z.ZodType>(cell: T) => Object.fromEntries(CLASS_METRICS.map((m) => [m, cell])) as Record<ClassMetric, T>;

/** What the official scorer reports, with its field names and layout (`per_category` is metric -> class -> value). */
const OfficialMetrics = <T extends z.ZodType>(value: T) =>
  z.object({
    /** the headline: macro Dice at p > 0.5 (`classification -m dice`) */
    overall: value,
    /** the official scorer's second figure, the same mean over `validation_weight`; MILK10k's ground truth has no weights, so it equals `overall` */
    validation: value,
    per_category: z.object(perMetric(z.object(perClass(value)))),
    /** mean of each per-class metric over the classes present in the ground truth */
    macro_average: z.object(perMetric(value)),
    /** balanced accuracy from the arg-max class; a lesion whose top probability is tied is undecided, so wrong */
    aggregate: z.object({ balanced_accuracy: value }),
  });

/** Official ids and counts a reader needs to interpret the metrics, beside the official figures. */
const ScoredLesions = z.object({
  lesions: z.number().int().positive(),
  classes: z.array(
    z.object({
      class: DiagnosisClassName,
      /** lesions of this class in the ground truth */
      lesions: z.number().int().nonnegative(),
      /** lesions with this class's probability > 0.5 (several classes may pass, or none) */
      predicted: z.number().int().nonnegative(),
    }),
  ),
  /** classes with no lesion in the ground truth: reported, but left out of every macro average */
  absent_classes: z.array(DiagnosisClassName),
  /** lesions whose highest probability is shared by two or more classes */
  undecided: z.number().int().nonnegative(),
  /** arg-max counts: rows are the true class, columns the predicted class and then `undecided` */
  confusion_matrix: z.object({
    classes: z.array(DiagnosisClassName),
    predicted: z.array(z.string()),
    counts: z.array(z.array(z.number().int().nonnegative())),
  }),
});

export const BenchmarkMetrics = OfficialMetrics(Metric).extend(ScoredLesions.shape);
export type BenchmarkMetrics = z.infer<typeof BenchmarkMetrics>;

/** A percentile bootstrap interval; null when the metric is undefined in every resample. */
export const Interval = z.object({ low: z.number(), high: z.number() }).nullable();
export type Interval = z.infer<typeof Interval>;

/** Bootstrap intervals of every official metric, in the official layout; lesions are the resampled unit. */
export const MetricIntervals = OfficialMetrics(Interval).extend({
  level: z.number(),
  resamples: z.number().int().positive(),
  seed: z.number().int(),
});
export type MetricIntervals = z.infer<typeof MetricIntervals>;

/** A set of lesions scored: the official metrics, and their intervals unless the bootstrap was turned off. */
export const ScoredSet = BenchmarkMetrics.extend({ intervals: MetricIntervals.nullable() });
export type ScoredSet = z.infer<typeof ScoredSet>;

/** The lesion attributes subgroups are formed by. */
export const SUBGROUP_ATTRIBUTES = ['centre', 'skin_tone', 'sex', 'age_band', 'image_type'] as const;
export type SubgroupAttribute = (typeof SUBGROUP_ATTRIBUTES)[number];

/** What the release records about a benchmark lesion, for subgroups; null where it is unknown. */
export const LesionAttributes = z.object({
  lesion_id: LesionId,
  centre: z.string(),
  skin_tone_class: z.number().int().nullable(),
  sex: z.string().nullable(),
  age_approx: z.number().int().nullable(),
  /** the types of the lesion's images, sorted */
  image_types: z.array(z.string()),
});
export type LesionAttributes = z.infer<typeof LesionAttributes>;

export const Subgroup = ScoredSet.extend({ attribute: z.enum(SUBGROUP_ATTRIBUTES), value: z.string() });
export type Subgroup = z.infer<typeof Subgroup>;

/**
 * Two sets of predictions on the same lesions: the difference in macro Dice (a - b), its bootstrap
 * interval, and the two-sided p-value of a paired permutation test (each lesion's two predictions
 * swapped at random).
 */
export const PairedComparison = z.object({
  a: z.string(),
  b: z.string(),
  lesions: z.number().int().positive(),
  a_overall: z.number(),
  b_overall: z.number(),
  difference: z.number(),
  interval: Interval,
  p_value: z.number().min(0).max(1),
  level: z.number(),
  resamples: z.number().int().positive(),
  seed: z.number().int(),
});
export type PairedComparison = z.infer<typeof PairedComparison>;

/** One reader of a reader study, scored on the lesions they read, beside the model on the same lesions. */
export const ReaderScore = z.object({
  reader: z.string(),
  file: z.string(),
  /** the lesions the reader read, in ground-truth order: they are scored on these alone */
  lesion_ids: z.array(z.string()),
  /** the benchmark lesions the reader did not read */
  unread_lesion_ids: z.array(z.string()),
  metrics: ScoredSet,
  /** the model's official metrics on the reader's lesions */
  model: BenchmarkMetrics,
  /** model (a) against reader (b), on the reader's lesions */
  model_vs_reader: PairedComparison,
});
export type ReaderScore = z.infer<typeof ReaderScore>;

export const ReaderStudy = z.object({
  readers: z.array(ReaderScore).min(1),
  /** means over readers, each reader's figure taken on their own lesions */
  reader_mean: z.object({ overall: z.number(), balanced_accuracy: z.number(), model_overall: z.number() }),
  /** the mean over readers of (model - reader) macro Dice; lesions resampled and permuted over the union of the readers' lesions */
  model_vs_readers: PairedComparison,
});
export type ReaderStudy = z.infer<typeof ReaderStudy>;

/** What `milk benchmark score --json` prints. */
export const ScoreReport = ScoredSet.extend({
  /** subgroups by each attribute's values; absent when no lesion attributes were found */
  subgroups: z.array(Subgroup).optional(),
  /** `--compare`: these predictions (a) against another file's (b) */
  comparison: PairedComparison.optional(),
  /** `--reader`: human readers against the model */
  reader_study: ReaderStudy.optional(),
});
export type ScoreReport = z.infer<typeof ScoreReport>;
