import { z } from 'zod';
import { ConceptRow } from './cases.ts';
import { QcScores } from './records.ts';
import { ReviewDecision } from './review.ts';
import { IMAGE_TYPES, IsicId, LesionId, Split } from './release.ts';

/**
 * Provenance events: what each pipeline step did to which entity, from which inputs to which
 * outputs, by which code, config and Temporal execution. They live in the private lake table
 * `provenance` (they quote source keys and local ids), are appended by every step and read back by
 * `milk audit`; they never enter a payload, an error message or a log line.
 *
 * Entity ids: an object is `<centre>/<key>` (its source identity); a record `<centre>/<metadata
 * key>#<row>`; an image the sha256 of its bytes as sent while it is de-identified, `<centre>/<key>`
 * when QC or assemble decides on it, and its public `ISIC_` id once it has one; a lesion its public
 * `IL_` id; a release its version.
 *
 * Events written by the split and release stages:
 * - split, one per lesion whose split was decided or changed:
 *   `{ activity: 'split', entity: { kind: 'lesion', id: 'IL_…' }, inputs: [], outputs: [], detail: { split: 'train' | 'benchmark' } }`
 * - release, one per release version written (not one per image):
 *   `{ activity: 'release', entity: { kind: 'release', id: version }, inputs: [], outputs: [],
 *      detail: { version, contentHash, lesionIds: ['IL_…', …], imageIds: ['ISIC_…', …] } }`
 * Both are recorded with `recordProvenance(deps, '_build', events, { onlyChanges: true })`.
 */

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

export const EntityKind = z.enum(['object', 'record', 'image', 'lesion', 'release']);
export const ProvenanceStage = z.enum(['retrieve', 'parse', 'deidentify', 'qc', 'assemble', 'concepts', 'split', 'release', 'publish']);
export type ProvenanceStage = z.infer<typeof ProvenanceStage>;

export const Entity = z.object({ kind: EntityKind, id: z.string().min(1) });
export type Entity = z.infer<typeof Entity>;

/** An input or output of a step: a content hash, an id, or both. */
export const Ref = z
  .object({ role: z.string(), sha256: Sha256.optional(), id: z.string().optional() })
  .refine((ref) => ref.sha256 !== undefined || ref.id !== undefined, 'a reference needs a sha256 or an id');
export type Ref = z.infer<typeof Ref>;

/** An image a step left out of the release (the reason code of the exclusions table, and its private detail). */
export const ImageExclusion = z.object({ centre: z.string(), key: z.string(), stage: z.string(), reason: z.string(), detail: z.string() });
export type ImageExclusion = z.infer<typeof ImageExclusion>;

export const RetrieveDetail = z.object({
  centre: z.string(),
  /** the centre's store as configured: folder path or s3://bucket/prefix */
  source: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.number().int().nonnegative(),
});

export const ParseDetail = z.object({ centre: z.string(), metadataKey: z.string(), row: z.number().int().positive(), imageKey: z.string() });

export const DeidentifyDetail = z.object({
  processingVersion: z.number().int(),
  path: z.enum(['lossless', 'reencoded']),
  /** EXIF orientation of the source, applied to the pixels when not 1 */
  orientation: z.number().int(),
  removedSegments: z.array(z.string()),
  removedExifTags: z.array(z.string()),
  bytes: z.number().int().positive(),
});

export const QcDetail = z.object({
  centre: z.string(),
  key: z.string(),
  imageType: z.enum(IMAGE_TYPES),
  scores: QcScores,
  /** checks that failed, by the action the config gives them */
  warned: z.array(z.string()),
  excluded: z.array(z.string()),
});

export const DuplicateMembership = z.object({ group: z.number().int().positive(), kind: z.enum(['exact', 'near']), releasedMembers: z.array(IsicId) });

export const AssembledImage = z.object({
  isicId: IsicId,
  imageType: z.enum(IMAGE_TYPES),
  key: z.string(),
  metadataKey: z.string(),
  row: z.number().int().positive(),
  sourceSha256: Sha256,
  deidSha256: Sha256,
  qcWarnings: z.array(z.string()),
  duplicate: DuplicateMembership.nullable(),
});
export type AssembledImage = z.infer<typeof AssembledImage>;

export const LesionAssembly = z.object({
  centre: z.string(),
  /** `<centre>/<local patient id>/<local lesion id>`: private */
  lesionKey: z.string(),
  pairing: z.object({ clinical: IsicId, dermoscopic: IsicId }),
  images: z.array(AssembledImage),
  /** other images of the lesion the pair rule passed over (source keys: private), with the rule */
  notSelected: z.array(z.object({ key: z.string(), imageType: z.enum(IMAGE_TYPES) })).optional(),
  pairRule: z.string().optional(),
});
export type LesionAssembly = z.infer<typeof LesionAssembly>;

export const ConceptDetail = z.object({ modelVersion: z.string(), scores: ConceptRow.shape.scores });
export const SplitDetail = z.object({ split: Split });
export const ReleaseDetail = z.object({ version: z.string(), contentHash: z.string(), lesionIds: z.array(LesionId), imageIds: z.array(IsicId) });
/** where a build published its release (an s3:// URL of the publish target, no PHI) */
export const PublishDetail = z.object({ location: z.string(), outcome: z.enum(['published', 'already-published']) });

const step = <S extends ProvenanceStage, D extends z.ZodType>(stage: S, detail: D) =>
  z.object({ activity: z.literal(stage), entity: Entity, inputs: z.array(Ref), outputs: z.array(Ref), detail });

const steps = {
  retrieve: step('retrieve', RetrieveDetail),
  parse: step('parse', ParseDetail),
  deidentify: step('deidentify', z.union([DeidentifyDetail, ImageExclusion])),
  qc: step('qc', QcDetail),
  assemble: step('assemble', z.union([LesionAssembly, ImageExclusion])),
  concepts: step('concepts', ConceptDetail),
  split: step('split', SplitDetail),
  release: step('release', ReleaseDetail),
  publish: step('publish', PublishDetail),
};

/** An event as a stage describes it; the recorder adds the execution context. */
export const ProvenanceDraft = z.discriminatedUnion('activity', [
  steps.retrieve,
  steps.parse,
  steps.deidentify,
  steps.qc,
  steps.assemble,
  steps.concepts,
  steps.split,
  steps.release,
  steps.publish,
]);
export type ProvenanceDraft = z.infer<typeof ProvenanceDraft>;

/** Which code, config and Temporal execution produced an event, and when. */
export const EventContext = z.object({
  /** package version and git commit of the worker's code, or a fallback saying there is no checkout */
  codeVersion: z.string(),
  /** sha256 of the worker's validated temporal.yml */
  configHash: Sha256,
  workflowId: z.string(),
  runId: z.string(),
  activityId: z.string(),
  attempt: z.number().int().positive(),
  time: z.iso.datetime(),
});
export type EventContext = z.infer<typeof EventContext>;

export const RetrieveEvent = steps.retrieve.extend(EventContext.shape);
export const ParseEvent = steps.parse.extend(EventContext.shape);
export const DeidentifyEvent = steps.deidentify.extend(EventContext.shape);
export const QcEvent = steps.qc.extend(EventContext.shape);
export const AssembleEvent = steps.assemble.extend(EventContext.shape);
export const ConceptsEvent = steps.concepts.extend(EventContext.shape);
export const SplitEvent = steps.split.extend(EventContext.shape);
export const ReleaseEvent = steps.release.extend(EventContext.shape);
export const PublishEvent = steps.publish.extend(EventContext.shape);

export const ProvenanceEvent = z.discriminatedUnion('activity', [RetrieveEvent, ParseEvent, DeidentifyEvent, QcEvent, AssembleEvent, ConceptsEvent, SplitEvent, ReleaseEvent, PublishEvent]);
export type ProvenanceEvent = z.infer<typeof ProvenanceEvent>;

/**
 * How events are stored: one lake row per activity execution, its context once and its events
 * without it (the context would otherwise be a third of every event's bytes).
 */
export const ProvenanceShard = z.object({ execution: EventContext, events: z.array(ProvenanceDraft) });
export type ProvenanceShard = z.infer<typeof ProvenanceShard>;

/** The latest recorded content of one subject (step, entity kind and id) of a recompute-everything step, hashed. */
export const LatestContent = z.object({ subject: z.string(), content: z.string().length(64) });
export type LatestContent = z.infer<typeof LatestContent>;

/** What `milk audit` shows of one image: each step's event, from the centre's object to every release holding it. */
export const ImageLineage = z.object({
  centre: z.string(),
  key: z.string(),
  isicId: IsicId.optional(),
  source: RetrieveEvent.optional(),
  record: ParseEvent.optional(),
  deidentification: DeidentifyEvent.optional(),
  qc: QcEvent.optional(),
  concepts: ConceptsEvent.optional(),
  /** steps that left the image out, with their reasons */
  exclusions: z.array(z.union([DeidentifyEvent, AssembleEvent])),
  releases: z.array(ReleaseEvent),
  /** curators' decisions about the image (milk review), oldest first; the latest per subject is in effect */
  reviews: z.array(ReviewDecision).optional(),
});
export type ImageLineage = z.infer<typeof ImageLineage>;

/** An assemble event about a released lesion (the other kind records an image left out). */
export const LesionAssemblyEvent = AssembleEvent.extend({ detail: LesionAssembly });
export type LesionAssemblyEvent = z.infer<typeof LesionAssemblyEvent>;

export const LesionLineage = z.object({
  lesionId: LesionId,
  assembly: LesionAssemblyEvent,
  split: SplitEvent.optional(),
  releases: z.array(ReleaseEvent),
});
export type LesionLineage = z.infer<typeof LesionLineage>;

/** The lineage of a case: its lesion (when one was assembled) and the images asked about. */
export const Lineage = z.object({ lesion: LesionLineage.optional(), images: z.array(ImageLineage) });
export type Lineage = z.infer<typeof Lineage>;

/** What `milk audit` is asked about: a public lesion or image id, or a centre's source object. */
export const AuditQuery = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lesion'), id: LesionId }),
  z.object({ kind: z.literal('image'), id: IsicId }),
  z.object({ kind: z.literal('source'), centre: z.string(), key: z.string() }),
]);
export type AuditQuery = z.infer<typeof AuditQuery>;
