import { z } from 'zod';

/**
 * Workflow and activity payloads. Temporal stores them in histories, so they carry ids, counts and
 * hashes only: never image bytes, source keys, local ids or anything else a centre sent.
 */

export const BuildInput = z.object({
  /** sha256 of the temporal.yml the client planned with; workers refuse a build planned from another config */
  configHash: z.string().length(64),
});
export type BuildInput = z.infer<typeof BuildInput>;

export const BuildPlan = z.object({
  dataset: z.string(),
  centres: z.array(z.string()),
  batchSize: z.number().int().positive(),
  window: z.number().int().positive(),
});
export type BuildPlan = z.infer<typeof BuildPlan>;

export const CentreInput = z.object({ centre: z.string() });
export type CentreInput = z.infer<typeof CentreInput>;

export const ImageBatchInput = z.object({ centre: z.string(), batch: z.number().int().nonnegative(), batchSize: z.number().int().positive() });
export type ImageBatchInput = z.infer<typeof ImageBatchInput>;

export const ConceptBatchInput = z.object({ batch: z.number().int().nonnegative(), batchSize: z.number().int().positive() });
export type ConceptBatchInput = z.infer<typeof ConceptBatchInput>;

export const RetrieveResult = z.object({
  /** objects the store listed */
  objects: z.number(),
  images: z.number(),
  metadataFiles: z.number(),
  bytes: z.number(),
  excluded: z.number(),
  /** against the previous build: */
  new: z.number(),
  changed: z.number(),
  unchanged: z.number(),
  deleted: z.number(),
  /** objects that could not be fetched after the client's retries (excluded as fetch-failed) */
  failed: z.number(),
  /** objects whose bytes were transferred, over all attempts of this retrieval */
  fetched: z.number(),
  fetchedBytes: z.number(),
  /** the activity attempt that finished (more than 1 after a worker crash or a retry) */
  attempt: z.number(),
});
export type RetrieveResult = z.infer<typeof RetrieveResult>;

export const ParseResult = z.object({ rows: z.number(), records: z.number(), excluded: z.number(), unknownColumns: z.number() });
export type ParseResult = z.infer<typeof ParseResult>;

export const ImageBatchResult = z.object({ images: z.number(), processed: z.number(), excluded: z.number() });
export type ImageBatchResult = z.infer<typeof ImageBatchResult>;

export const IngestResult = z.object({
  centre: z.string(),
  retrieve: RetrieveResult,
  parse: ParseResult,
  images: ImageBatchResult,
});
export type IngestResult = z.infer<typeof IngestResult>;

export const AssembleResult = z.object({
  lesions: z.number(),
  images: z.number(),
  excluded: z.number(),
  /** images released with a QC warning */
  warned: z.number(),
  duplicateGroups: z.number(),
  crossLesionDuplicateGroups: z.number(),
  conceptBatchSize: z.number(),
  conceptBatches: z.number(),
});
export type AssembleResult = z.infer<typeof AssembleResult>;

export const QcReportResult = z.object({ path: z.string(), flaggedImages: z.number(), duplicateGroups: z.number() });
export type QcReportResult = z.infer<typeof QcReportResult>;

export const ConceptBatchResult = z.object({ images: z.number() });
export type ConceptBatchResult = z.infer<typeof ConceptBatchResult>;

export const ReleaseResult = z.object({
  path: z.string(),
  manifestSha256: z.string(),
  lesions: z.number(),
  images: z.number(),
  exclusionsByReason: z.record(z.string(), z.number()),
  /** the release already there was built from identical inputs and kept as it is */
  reused: z.boolean(),
  conceptModel: z.string(),
  leakScan: z.object({ filesScanned: z.number(), phiValuesSearched: z.number(), hits: z.number(), patternWarnings: z.number() }),
});
export type ReleaseResult = z.infer<typeof ReleaseResult>;

export const StageTiming = z.object({ stage: z.string(), ms: z.number() });

export const BuildSummary = z.object({
  dataset: z.string(),
  centres: z.array(IngestResult),
  assemble: AssembleResult,
  qcReport: QcReportResult,
  concepts: z.object({ images: z.number() }),
  release: ReleaseResult,
  timings: z.array(StageTiming),
});
export type BuildSummary = z.infer<typeof BuildSummary>;

export const BuildProgress = z.object({
  stage: z.string(),
  centresDone: z.number(),
  centres: z.number(),
  conceptBatchesDone: z.number(),
  conceptBatches: z.number(),
});
export type BuildProgress = z.infer<typeof BuildProgress>;
