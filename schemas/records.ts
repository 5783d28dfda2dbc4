import { z } from 'zod';
import { ImageFormat } from './image-format.ts';
import { IMAGE_TYPES } from './release.ts';
import { SimilarityThumbnail } from './similarity-thumbnail.ts';
import { TextFindings } from './text-findings.ts';
import { FIELD_TERMS_FILE, vocabulary, type TermField } from './vocabulary.ts';

/**
 * Private side. These records hold what a centre sent (source keys, local ids, names, dates, exact
 * ages) and live only under `private/`. Public records are separate types, and only the assemble
 * stage converts one into the other.
 */

export const ObjectKind = z.enum(['metadata', 'image', 'other']);

/** One object of a centre drop, as retrieved and staged (content-addressed by sha256). */
export const SourceObject = z.object({
  centre: z.string(),
  key: z.string().describe('path inside the drop: PHI (centre filenames), private only'),
  size: z.number().int().nonnegative(),
  sha256: z.string().length(64),
  /** as the store listed it (S3 ETag, or size and mtime of a file): unchanged means no refetch */
  etag: z.string(),
  kind: ObjectKind,
});
export type SourceObject = z.infer<typeof SourceObject>;

/** A release term of a metadata field, as listed in schemas/vocabulary/milk10k-field-terms.csv. */
const term = (field: TermField) =>
  z.string().refine((value) => vocabulary().fieldValues(field).includes(value), { error: () => `not a term of ${field} in ${FIELD_TERMS_FILE}` });

/** One metadata row of a centre, harmonised to the release vocabulary but still carrying PHI. */
export const PrivateRecord = z.object({
  centre: z.string(),
  metadataKey: z.string(),
  row: z.number().int().positive().describe('1-based data row number in the metadata file'),
  imageKey: z.string(),
  patientId: z.string().min(1),
  lesionId: z.string().min(1),
  patientName: z.string().optional(),
  birthDate: z.string().optional().describe('ISO date'),
  examDate: z.string().optional().describe('ISO date'),
  age: z.number().min(0).max(130).optional().describe('exact age in years'),
  sex: term('sex').optional(),
  site: term('site').optional(),
  skinTone: z.number().int().min(0).max(5).optional(),
  imageType: z.enum(IMAGE_TYPES),
  diagnosis: z.string().describe('diagnosis_full, an official MILK10k term'),
  confirmType: term('diagnosis_confirm_type').optional(),
  invasionThickness: term('invasion_thickness_interval').optional(),
  manipulation: term('image_manipulation').default('instrument only'),
  concomitantBiopsy: z.boolean().optional().describe('the image was taken at the biopsy: preferred when a lesion has several images of a type'),
});
export type PrivateRecord = z.infer<typeof PrivateRecord>;

export const Stage = z.enum(['retrieve', 'parse', 'deidentify', 'qc', 'assemble', 'concepts', 'split', 'release']);

/** What happened to a centre's object since the previous build. */
/** A retrieval's resume state: an object staged by an attempt, and whether that attempt transferred it. */
export const ProgressRow = SourceObject.extend({ fetched: z.boolean() });
export type ProgressRow = z.infer<typeof ProgressRow>;

export const ObjectChange = z.object({ centre: z.string(), key: z.string(), change: z.enum(['new', 'changed', 'deleted']) });
export type ObjectChange = z.infer<typeof ObjectChange>;
export type Stage = z.infer<typeof Stage>;

/**
 * Why an input did not reach the release. `reason` is a stable code (counted in summaries);
 * `detail` is a human sentence that may quote source values, so it stays private.
 */
export const Exclusion = z.object({
  centre: z.string(),
  stage: Stage,
  entity: z.enum(['object', 'record', 'image', 'lesion']),
  reason: z.string().regex(/^[a-z0-9-]+$/),
  detail: z.string(),
  key: z.string().optional().describe('source object key (private)'),
  row: z.number().int().positive().optional(),
  sha256: z.string().optional().describe('source object sha256'),
  lesionId: z.string().optional().describe('local lesion id (private)'),
});
export type Exclusion = z.infer<typeof Exclusion>;

/** QC measurements of one decoded image; raw scores are kept so thresholds can change later. */
export const QcScores = z.object({
  width: z.number().int(),
  height: z.number().int(),
  meanLuma: z.number(),
  sharpness: z.number(),
  /** `sharpness` over the variance of the Laplacian one scale coarser: low when the finest detail is gone, whatever the subject */
  sharpnessRatio: z.number(),
  phash: z.string().length(16),
  /** sha256 of the pixels decoded at half resolution: equal for the same image data whatever metadata or container surrounds it */
  pixelSha256: z.string().length(64),
  dark: z.number(),
  light: z.number(),
  lowInformation: z.number(),
  grayscale: z.number(),
  oddAspectRatio: z.number(),
  colourCast: z.number(),
  /** 0 = looks like a clinical close-up, 1 = looks dermoscopic */
  modality: z.number(),
  /** highest confidence of a read text region (activities/deidentify/text-score.ts); absent when text detection is off (qc.text.enabled) */
  burnedInText: z.number().optional(),
});
export type QcScores = z.infer<typeof QcScores>;

/** What a source image's EXIF held: tag names for the de-identification report, identifying values for the leak scan. */
export const ExifFindings = z.object({
  tags: z.array(z.string()),
  texts: z.array(z.string()),
  dates: z.array(z.string()),
  gps: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
});
export type ExifFindings = z.infer<typeof ExifFindings>;

/** A source image after de-identification and QC measurement (still keyed by its source). */
export const ProcessedImage = z.object({
  centre: z.string(),
  key: z.string(),
  sourceSha256: z.string().length(64),
  deidSha256: z.string().length(64),
  deidBytes: z.number().int().positive(),
  orientation: z.number().int().min(1).max(8),
  deidPath: z.enum(['lossless', 'reencoded']),
  /** the source's format, by content */
  format: ImageFormat,
  removedSegments: z.array(z.string()),
  exif: ExifFindings,
  qc: QcScores,
  /** grey thumbnail (schemas/similarity-thumbnail.ts) that near-duplicate candidates are confirmed on: private, never released */
  similarityThumbnail: SimilarityThumbnail,
  /** text regions and what they read (PHI candidates: private, never released); absent when text detection is off */
  text: TextFindings.optional(),
});
export type ProcessedImage = z.infer<typeof ProcessedImage>;

/**
 * Something the parse stage noticed that excluded nothing, e.g. a column of a metadata file that the
 * dialect does not map (kept out of the records, reported here). `file` is a source key (private);
 * `detail` is a column name, never a cell value.
 */
export const ParseNote = z.object({
  centre: z.string(),
  file: z.string(),
  note: z.enum(['unknown-column']),
  detail: z.string(),
});
export type ParseNote = z.infer<typeof ParseNote>;
