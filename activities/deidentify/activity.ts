import { Context } from '@temporalio/activity';
import type { ImageBatchInput, ImageBatchResult } from '../../schemas/payloads.ts';
import { SourceObject } from '../../schemas/records.ts';
import type { ActivityDeps } from '../deps.ts';
import { recordProvenance, workDone } from '../provenance/record-provenance.ts';
import { deidentifyEvents } from '../provenance/stage-events.ts';
import { processImages } from './process-images.ts';

export const batchShard = (batch: number) => `batch-${String(batch).padStart(5, '0')}`;

export function deidentifyActivities(deps: ActivityDeps) {
  return {
    /** De-identifies and QC-measures one batch of a centre's images (batch n of the inventory's images in key order). */
    async processImageBatch({ centre, batch, batchSize }: ImageBatchInput): Promise<ImageBatchResult> {
      const images = (await deps.lake.read('inventory', SourceObject, centre)).filter((o) => o.kind === 'image');
      const slice = images.slice(batch * batchSize, (batch + 1) * batchSize);
      let done = 0;
      const { imagesInFlight, imageThreads } = deps.config.ingest;
      const result = await processImages(slice, deps.layout, { imagesInFlight, threads: imageThreads }, () => {
        Context.current().heartbeat({ images: ++done });
      });
      await deps.lake.writeShard('images', centre, batchShard(batch), result.images);
      await deps.lake.writeShard('exclusions', centre, `deidentify-${batchShard(batch)}`, result.exclusions);
      await recordProvenance(deps, centre, deidentifyEvents(workDone(result.images, result.computed), result.exclusions));
      return { images: slice.length, processed: result.images.length, excluded: result.exclusions.length };
    },
  };
}
