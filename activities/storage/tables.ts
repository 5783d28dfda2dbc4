import type { z } from 'zod';
import { CaseImage, CaseLesion, ConceptRow, DuplicateGroupRow, QcFlagRow } from '../../schemas/cases.ts';
import { LatestContent, ProvenanceShard } from '../../schemas/provenance.ts';
import { Exclusion, ObjectChange, ParseNote, PrivateRecord, ProcessedImage, ProgressRow, SourceObject } from '../../schemas/records.ts';
import { SplitRow } from '../../schemas/split.ts';
import { ReviewCounts } from '../../schemas/review.ts';

/** The lake partition of whole-build stages (assemble onwards); ingest stages write one partition per centre. */
export const BUILD_PARTITION = '_build';

/** Shard name of batch n of a stage that works in batches (image batches, concept batches). */
export const batchShard = (batch: number) => `batch-${String(batch).padStart(5, '0')}`;

/**
 * One table of the private lake: its name, the schema every row is checked against on read, and
 * whether it is partitioned by centre (ingest stages), is the build's (one `_build` partition), or both.
 */
export interface LakeTable<T> {
  name: string;
  schema: z.ZodType<T>;
  partition: 'centre' | 'build' | 'centre-or-build';
}

const table = <T>(name: string, schema: z.ZodType<T>, partition: LakeTable<T>['partition']): LakeTable<T> => ({ name, schema, partition });

/** Every table of the lake, declared once: stages read and write them only through these. */
export const tables = {
  /** the objects of a centre's drop as staged by its last completed retrieval */
  inventory: table('inventory', SourceObject, 'centre'),
  /** what an unfinished retrieval has staged so far, for its retry to resume after */
  retrieveProgress: table('retrieve-progress', ProgressRow, 'centre'),
  /** the drop's images, one shard per de-identification batch */
  imageBatches: table('image-batches', SourceObject, 'centre'),
  changes: table('changes', ObjectChange, 'centre'),
  records: table('records', PrivateRecord, 'centre'),
  notes: table('notes', ParseNote, 'centre'),
  /** de-identified and measured images, one shard per batch */
  images: table('images', ProcessedImage, 'centre'),
  exclusions: table('exclusions', Exclusion, 'centre-or-build'),
  lesions: table('case-lesions', CaseLesion, 'build'),
  caseImages: table('case-images', CaseImage, 'build'),
  qcFlags: table('qc-flags', QcFlagRow, 'build'),
  duplicates: table('duplicates', DuplicateGroupRow, 'build'),
  /** the build's images in release order, one shard per concept batch */
  conceptBatches: table('concept-batches', CaseImage, 'build'),
  concepts: table('concepts', ConceptRow, 'build'),
  /** what the build's assembly did with the curators' decisions (one row), for CHANGES.md */
  reviewCounts: table('review-counts', ReviewCounts, 'build'),
  split: table('split', SplitRow, 'build'),
  /** provenance events, one shard per activity execution */
  provenance: table('provenance', ProvenanceShard, 'centre-or-build'),
  /** per activity type, the hash of each subject's latest recorded content */
  provenanceLatest: table('provenance-latest', LatestContent, 'centre-or-build'),
} as const;

/** The tables a centre's fresh retrieval starts afresh (its derived partitions). */
export const CENTRE_DERIVED_TABLES = [tables.records, tables.images, tables.imageBatches, tables.exclusions, tables.notes, tables.changes] as const;
