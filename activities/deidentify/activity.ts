import { Context } from '@temporalio/activity';
import type { ImageBatchInput, ImageBatchResult } from '../../schemas/payloads.ts';
import type { ActivityDeps } from '../deps.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { deidentifyEvents } from './provenance-events.ts';
import { batchShard, tables } from '../storage/tables.ts';
import { processImages } from './process-images.ts';

export function deidentifyActivities(deps: ActivityDeps) {
  return {
    /** De-identifies and QC-measures one batch of a centre's images (the batch shard retrieval wrote). */
    async processImageBatch({ centre, batch }: ImageBatchInput): Promise<ImageBatchResult> {
      const slice = await deps.lake.readShard(tables.imageBatches, centre, batchShard(batch));
      let done = 0;
      const { imagesInFlight, imageThreads, imageTimeoutSeconds, imageFormats } = deps.config.ingest;
      const options = { imagesInFlight, threads: imageThreads, timeoutMs: imageTimeoutSeconds * 1000, location: deps.loaded.storage, formats: imageFormats, text: deps.config.qc.text };
      const result = await processImages(slice, deps, options, () => {
        Context.current().heartbeat({ images: ++done });
      });
      await deps.lake.writeShard(tables.images, centre, batchShard(batch), result.images);
      await deps.lake.writeShard(tables.exclusions, centre, `deidentify-${batchShard(batch)}`, result.exclusions);
      // Every image, cached or not: the batch's digest keeps a no-change rebuild from recording any again.
      await recordProvenance(deps, centre, deidentifyEvents(result.images, result.exclusions), { onlyChanges: true, batch: batchShard(batch) });
      return { images: slice.length, processed: result.images.length, excluded: result.exclusions.length };
    },
  };
}
