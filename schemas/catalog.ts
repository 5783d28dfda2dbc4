import { z } from 'zod';
import { ConceptRow } from './cases.ts';
import { ConceptModelDisclosure } from './concept-model.ts';
import { PublicImage, PublicLesion, Split } from './release.ts';

/**
 * The private catalog of release versions (`<storage root>/private/releases/`): what each version
 * held, so a later build can diff against it and `milk release diff` can compare any two.
 */

export const ReleaseVersion = z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version such as 1.2.0');

export const SnapshotLesion = PublicLesion.extend({ split: Split });
export type SnapshotLesion = z.infer<typeof SnapshotLesion>;

export const SnapshotImage = PublicImage.pick({ isic_id: true, lesion_id: true, image_type: true, sha256: true }).extend({
  concepts: ConceptRow.shape.scores,
});
export type SnapshotImage = z.infer<typeof SnapshotImage>;

/** Everything a version released that a diff compares; no version number or time, so identical builds give identical snapshots. */
export const Snapshot = z.object({
  formatVersion: z.number().int().positive().describe('RELEASE_FORMAT_VERSION of the release writer'),
  conceptModel: z.string().describe('version of the concept model that scored the images'),
  lesions: z.array(SnapshotLesion),
  images: z.array(SnapshotImage),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const Bump = z.enum(['initial', 'major', 'minor', 'patch']);
export type Bump = z.infer<typeof Bump>;

export const CatalogEntry = z.object({
  version: ReleaseVersion,
  previousVersion: ReleaseVersion.nullable(),
  bump: Bump,
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  lesions: z.number().int().nonnegative(),
  images: z.number().int().nonnegative(),
  benchmarkLesions: z.number().int().nonnegative(),
  workflowId: z.string(),
  runId: z.string(),
  createdAt: z.iso.datetime(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const CatalogIndex = z.object({ versions: z.array(CatalogEntry) });
export type CatalogIndex = z.infer<typeof CatalogIndex>;

/** Why a lesion or image entered a release (the first two) or left it (the rest), as the private lake knows it. */
export const ADDED_REASONS = ['new-at-centre', 'returned'] as const;
export const REMOVED_REASONS = ['removed-at-centre', 'excluded-by-qc', 'excluded-by-curator', 'excluded-at-assembly'] as const;

export const DiffReason = z.enum([
  'added',
  'removed',
  ...ADDED_REASONS,
  ...REMOVED_REASONS,
  'diagnosis-corrected',
  'metadata-corrected',
  'image-replaced',
  'concept-scores-changed',
  'split-conflict',
]);
export type DiffReason = z.infer<typeof DiffReason>;

/** A reason the caller knows for an added or removed lesion or image, with public-only detail (e.g. the QC check name). */
export const ChangeReason = z.object({
  reason: z.enum([...ADDED_REASONS, ...REMOVED_REASONS]),
  detail: z.string().optional(),
});
export type ChangeReason = z.infer<typeof ChangeReason>;

/** One line of a release diff. `detail` holds public values only: field names, public ids, vocabulary terms. */
export const DiffEntry = z.object({
  entity: z.enum(['lesion', 'image']),
  id: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  reason: DiffReason,
  detail: z.string(),
  fields: z.array(z.string()),
  /** old and new value of each corrected field (public values; a benchmark lesion's label never) */
  values: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })).optional(),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

/** A version as the catalog holds it: its index entry and its snapshot. */
export const RecordedRelease = z.object({ entry: CatalogEntry, snapshot: Snapshot });
export type RecordedRelease = z.infer<typeof RecordedRelease>;

/** The reasons a version's build gave for the lesions and images it added or removed, by public id. */
export const RecordedReasons = z.record(z.string(), ChangeReason);
export type RecordedReasons = z.infer<typeof RecordedReasons>;

/** `RELEASE.json` in every release: which version it is and what it holds (derived from the catalog entry, so an unchanged rebuild writes the same bytes). */
export const ReleaseInfo = z.object({
  name: z.string(),
  version: ReleaseVersion,
  previousVersion: ReleaseVersion.nullable(),
  bump: Bump,
  contentHash: z.string().regex(/^[0-9a-f]{64}$/),
  formatVersion: z.number().int().positive(),
  conceptModel: z.string(),
  /** what produced the MONET_* columns: the model's name, version, training data and agreement with MONET */
  conceptModelCard: ConceptModelDisclosure.optional(),
  lesions: z.number().int().nonnegative(),
  images: z.number().int().nonnegative(),
  benchmarkLesions: z.number().int().nonnegative(),
});
export type ReleaseInfo = z.infer<typeof ReleaseInfo>;
