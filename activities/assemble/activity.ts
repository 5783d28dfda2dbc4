import { ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import type { AssembleResult, OpenReview } from '../../schemas/payloads.ts';
import { ReviewPolicy } from './review-decisions.ts';
import { CaseImage, CaseLesion, DuplicateGroupRow, QcFlagRow } from '../../schemas/cases.ts';
import type { ActivityDeps } from '../deps.ts';
import { idKey } from '../storage/id-key.ts';
import { PublicIds } from '../storage/public-ids.ts';
import { batchShard, BUILD_PARTITION, tables, type LakeTable } from '../storage/tables.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { assembleEvents, qcEvents } from './provenance-events.ts';
import { assembleCases } from './assemble-cases.ts';
import { ReviewLog } from '../storage/review-log.ts';

/**
 * The released images in isic_id order, one shard per concept batch, so each inference activity reads
 * its own batch instead of every image of the build.
 */
async function writeConceptBatches(deps: ActivityDeps, images: z.infer<typeof CaseImage>[]): Promise<void> {
  const { batchSize } = deps.config.concepts;
  const sorted = [...images].sort((a, b) => (a.isic_id < b.isic_id ? -1 : 1));
  await deps.lake.clearPartition(tables.conceptBatches, BUILD_PARTITION);
  for (let batch = 0; batch * batchSize < sorted.length; batch++) {
    await deps.lake.writeShard(tables.conceptBatches, BUILD_PARTITION, batchShard(batch), sorted.slice(batch * batchSize, (batch + 1) * batchSize));
  }
}

export function assembleActivities(deps: ActivityDeps) {
  return {
    /** What the last assembly's QC flags and cross-lesion duplicate groups still leave open, with the decisions recorded so far. */
    async openReview(): Promise<OpenReview> {
      const flags = await deps.lake.read(tables.qcFlags, BUILD_PARTITION);
      const groups = (await deps.lake.read(tables.duplicates, BUILD_PARTITION)).filter((g) => g.crossLesion).map((g) => g.pairs);
      const { openFlags, openGroups } = new ReviewPolicy(await new ReviewLog(deps.store, deps.layout).read()).counts(flags, groups);
      return { openFlags, openGroups };
    },

    /** Single writer: turns every centre's private records and processed images into public cases. */
    async assembleCases(): Promise<AssembleResult> {
      const read = <T>(table: LakeTable<T>) => deps.lake.readPartitions(table, deps.centreIds);
      const exclusions = await read(tables.exclusions);
      const records = await read(tables.records);
      const ids = await PublicIds.open(deps.store, deps.layout.idMap, await idKey(deps));
      ids.avoid(records.flatMap((r) => [r.patientId, r.lesionId]));
      const images = await read(tables.images);
      let assembled;
      try {
        assembled = assembleCases(
          {
            inventory: await read(tables.inventory),
            records,
            images,
            excludedImageKeys: new Set(exclusions.filter((e) => e.entity === 'image' && e.key).map((e) => `${e.centre}\u0000${e.key}`)),
            qc: deps.config.qc,
            centres: deps.config.centres,
            review: await new ReviewLog(deps.store, deps.layout).read(),
          },
          ids,
        );
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`assemble failed: ${(err as Error).message}`);
      }
      await ids.save();
      await deps.lake.writeShard(tables.lesions, BUILD_PARTITION, 'rows', assembled.lesions.map((l) => CaseLesion.parse(l)));
      const caseImages = assembled.images.map((i) => CaseImage.parse(i));
      await deps.lake.writeShard(tables.caseImages, BUILD_PARTITION, 'rows', caseImages);
      await deps.lake.writeShard(tables.qcFlags, BUILD_PARTITION, 'rows', assembled.flags.map((f) => QcFlagRow.parse(f)));
      await deps.lake.writeShard(tables.duplicates, BUILD_PARTITION, 'rows', assembled.duplicates.map((d) => DuplicateGroupRow.parse(d)));
      await deps.lake.writeShard(tables.reviewCounts, BUILD_PARTITION, 'rows', [assembled.review]);
      await deps.lake.clearPartition(tables.exclusions, BUILD_PARTITION);
      await deps.lake.writeShard(tables.exclusions, BUILD_PARTITION, 'assemble', assembled.exclusions);
      await deps.lake.clearPartition(tables.concepts, BUILD_PARTITION);
      await writeConceptBatches(deps, caseImages);
      // Assemble decides afresh on every build; only decisions that changed are events.
      await recordProvenance(deps, BUILD_PARTITION, [...qcEvents(records, images, assembled.flags), ...assembleEvents(assembled)], { onlyChanges: true });
      const conceptBatchSize = deps.config.concepts.batchSize;
      return {
        lesions: assembled.lesions.length,
        images: assembled.images.length,
        excluded: assembled.exclusions.length,
        warned: new Set(assembled.flags.filter((f) => f.action === 'warn' && !f.cleared).map((f) => f.deidSha256)).size,
        duplicateGroups: assembled.duplicates.length,
        crossLesionDuplicateGroups: assembled.duplicates.filter((d) => d.crossLesion).length,
        conceptBatchSize,
        conceptBatches: Math.ceil(assembled.images.length / conceptBatchSize),
        review: assembled.review,
      };
    },
  };
}
