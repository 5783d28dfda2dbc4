import { z } from 'zod';

/** Public side: exactly what a release holds. No source key, local id, name, date or exact age. */

export const CONCEPT_COLUMNS = [
  'MONET_ulceration_crust',
  'MONET_hair',
  'MONET_vasculature_vessels',
  'MONET_erythema',
  'MONET_pigmented',
  'MONET_gel_water_drop_fluid_dermoscopy_liquid',
  'MONET_skin_markings_pen_ink_purple_pen',
] as const;

/** The two image types are structure (a lesion pairs one of each), so they are code; other metadata terms are data (vocabulary/). */
export const IMAGE_TYPES = ['clinical: close-up', 'dermoscopic'] as const;

export const CLASSES = ['AKIEC', 'BCC', 'BEN_OTH', 'BKL', 'DF', 'INF', 'MAL_OTH', 'MEL', 'NV', 'SCCKA', 'VASC'] as const;
export type DiagnosisClass = (typeof CLASSES)[number];

/** Official MILK10k headers, in order. */
export const METADATA_HEADER = [
  'lesion_id',
  'image_type',
  'isic_id',
  'attribution',
  'copyright_license',
  'image_manipulation',
  'age_approx',
  'sex',
  'skin_tone_class',
  'site',
  ...CONCEPT_COLUMNS,
] as const;
export const GROUND_TRUTH_HEADER = ['lesion_id', ...CLASSES] as const;
export const SUPPLEMENT_HEADER = ['isic_id', 'diagnosis_full', 'diagnosis_confirm_type', 'invasion_thickness_interval'] as const;

/** The two sides of the frozen benchmark split; the benchmark's labels stay private. */
export const SPLITS = ['train', 'benchmark'] as const;
export const Split = z.enum(SPLITS);
export type Split = z.infer<typeof Split>;

/** The official folder and metadata file of each split (MILK10k's test set is its benchmark). */
export const SPLIT_FILES: Record<Split, { input: string; metadata: string }> = {
  train: { input: 'MILK10k_Training_Input', metadata: 'MILK10k_Training_Metadata.csv' },
  benchmark: { input: 'MILK10k_Test_Input', metadata: 'MILK10k_Test_Metadata.csv' },
};
export const BENCHMARK_TRUTH_FILES = { groundTruth: 'MILK10k_Test_GroundTruth.csv', supplement: 'MILK10k_Test_Supplement.csv' } as const;

export const LesionId = z.string().regex(/^IL_\d{7}$/);
export const IsicId = z.string().regex(/^ISIC_\d{7}$/);

export const PublicLesion = z.object({
  lesion_id: LesionId,
  centre: z.string(),
  age_approx: z.number().int().min(0).max(85).nullable(),
  sex: z.string().nullable(),
  skin_tone_class: z.number().int().min(0).max(5).nullable(),
  site: z.string().nullable(),
  diagnosis_full: z.string(),
  diagnosis_class: z.enum(CLASSES),
  diagnosis_1: z.string(),
  diagnosis_2: z.string().nullable(),
  diagnosis_3: z.string().nullable(),
  diagnosis_4: z.string().nullable(),
  diagnosis_5: z.string().nullable(),
  diagnosis_confirm_type: z.string().nullable(),
  invasion_thickness_interval: z.string().nullable(),
});
export type PublicLesion = z.infer<typeof PublicLesion>;

export const PublicImage = z.object({
  isic_id: IsicId,
  lesion_id: LesionId,
  image_type: z.enum(IMAGE_TYPES),
  image_manipulation: z.string(),
  sha256: z.string().length(64).describe('of the released JPEG'),
  width: z.number().int(),
  height: z.number().int(),
  file_size: z.number().int().positive().describe('bytes of the released JPEG'),
  mean_luma: z.number(),
  sharpness: z.number(),
  sharpness_ratio: z.number(),
  dark: z.number(),
  light: z.number(),
  low_information: z.number(),
  grayscale: z.number(),
  odd_aspect_ratio: z.number(),
  colour_cast: z.number(),
  modality: z.number(),
  /** burned-in-text score (schemas/qc-checks.ts), null when text detection was off */
  burned_in_text: z.number().nullable(),
  phash: z.string(),
  /** QC checks the image failed with action 'warn', ';'-separated */
  qc_warnings: z.string(),
  /** duplicate group (see duplicates.parquet), null when the image has no duplicate */
  duplicate_group: z.number().int().positive().nullable(),
});
export type PublicImage = z.infer<typeof PublicImage>;

/** A released exclusion: the reason code and counts, never the private source key or detail. */
export const PublicExclusion = z.object({
  centre: z.string(),
  stage: z.string(),
  entity: z.string(),
  reason: z.string(),
});
export type PublicExclusion = z.infer<typeof PublicExclusion>;

/** One released member of a duplicate group; cross-lesion groups are for review and are kept together in splits. */
export const PublicDuplicate = z.object({
  duplicate_group: z.number().int().positive(),
  isic_id: IsicId,
  kind: z.enum(['exact', 'near']),
  max_distance: z.number().int(),
  cross_lesion: z.boolean(),
});
export type PublicDuplicate = z.infer<typeof PublicDuplicate>;

export type ConceptScores = Record<(typeof CONCEPT_COLUMNS)[number], number>;
