import { z } from 'zod';
import { ReviewCounts } from './review.ts';

/**
 * Workflow and activity payloads. Temporal stores them in histories, so they carry ids, counts and
 * hashes only: never image bytes, source keys, local ids or anything else a centre sent.
 */

export const BuildInput = z.object({
  /** sha256 of the temporal.yml the client planned with; workers refuse a build planned from another config */
  configHash: z.string().length(64),
  /** `milk build --await-review`: after QC, wait up to this long for curators to resolve the open flags (decisions arrive as Updates) */
  awaitReviewMs: z.number().positive().optional(),
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
  /** curators' decisions applied (absent in builds from before the review loop) */
  review: ReviewCounts.optional(),
});
export type AssembleResult = z.infer<typeof AssembleResult>;

/** What is still open for review after a decision arrived: counts only. */
export const OpenReview = ReviewCounts.pick({ openFlags: true, openGroups: true });
export type OpenReview = z.infer<typeof OpenReview>;

/** Counts of the benchmark split (never lesion ids or the private keys that group them). */
export const SplitResult = z.object({
  benchmark: z.number(),
  train: z.number(),
  newlyAssigned: z.object({ benchmark: z.number(), train: z.number() }),
  /** lesions assigned by an earlier build and absent now; they keep their side if they return */
  removed: z.object({ benchmark: z.number(), train: z.number() }),
  /** new lesions of a group with frozen lesions on both sides, excluded as split-conflict */
  conflicts: z.number(),
  straddlingGroups: z.number(),
  /** largest difference, in percentage points, between benchmark and train shares of a class, centre or skin tone */
  maxDifferencePp: z.number(),
});
export type SplitResult = z.infer<typeof SplitResult>;

export const QcReportResult = z.object({ path: z.string(), flaggedImages: z.number(), duplicateGroups: z.number() });
export type QcReportResult = z.infer<typeof QcReportResult>;

export const ConceptBatchResult = z.object({ images: z.number() });
export type ConceptBatchResult = z.infer<typeof ConceptBatchResult>;

export const ReleaseResult = z.object({
  path: z.string(),
  manifestSha256: z.string(),
  version: z.string(),
  previousVersion: z.string().nullable(),
  /** false when the build's content equals the latest version's: no new version */
  newVersion: z.boolean(),
  contentHash: z.string(),
  lesions: z.number(),
  images: z.number(),
  exclusionsByReason: z.record(z.string(), z.number()),
  /** the release already there was built from identical inputs and kept as it is */
  reused: z.boolean(),
  conceptModel: z.string(),
  leakScan: z.object({ filesScanned: z.number(), phiValuesSearched: z.number(), hits: z.number(), patternWarnings: z.number() }),
});
export type ReleaseResult = z.infer<typeof ReleaseResult>;

/** What the build's publish step did: nothing unless `release.publishAfterBuild` and `release.publish` are set. */
export const PublishBuildResult = z.union([
  z.object({ published: z.literal(false) }),
  z.object({ published: z.literal(true), version: z.string(), location: z.string(), outcome: z.enum(['published', 'already-published']), uploaded: z.number(), skipped: z.number() }),
]);
export type PublishBuildResult = z.infer<typeof PublishBuildResult>;

export const StageTiming = z.object({ stage: z.string(), ms: z.number() });

export const BuildSummary = z.object({
  dataset: z.string(),
  centres: z.array(IngestResult),
  assemble: AssembleResult,
  split: SplitResult,
  qcReport: QcReportResult,
  concepts: z.object({ images: z.number() }),
  release: ReleaseResult,
  /** absent in builds from before the publish step */
  publish: PublishBuildResult.optional(),
  timings: z.array(StageTiming),
});
export type BuildSummary = z.infer<typeof BuildSummary>;

/**
 * Where a long single activity (the release writer) is: its step, and within the step a count when
 * it has one. Sent as its heartbeat details, so a client's describe of the build shows it.
 */
export const ActivityStep = z.object({
  step: z.string(),
  /** 1-based position of the step among `steps` */
  index: z.number().int().positive(),
  steps: z.number().int().positive(),
  done: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
  unit: z.string().optional(),
});
export type ActivityStep = z.infer<typeof ActivityStep>;

/** What the parent workflow's `progress` query answers: the stage, and counts a client can turn into an ETA. */
export const BuildProgress = z.object({
  stage: z.string(),
  /** the centres being ingested, each by a child workflow `<build id>/ingest-<centre>` with its own `progress` query */
  centres: z.array(z.string()),
  centresDone: z.number(),
  conceptBatchesDone: z.number(),
  conceptBatches: z.number(),
});
export type BuildProgress = z.infer<typeof BuildProgress>;

/** What an ingestCentre child's `progress` query answers. */
export const IngestProgress = z.object({
  centre: z.string(),
  step: z.enum(['retrieve', 'parse', 'images', 'done']),
  /** images retrieved (known once retrieval is done) and images through de-identification + QC so far */
  images: z.number(),
  imagesDone: z.number(),
});
export type IngestProgress = z.infer<typeof IngestProgress>;

