import { continueAsNew, defineQuery, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ImageBatchResult, IngestProgress, IngestResult, ParseResult, RetrieveResult } from '../schemas/payloads.ts';
import { activityProxies, type TaskQueues } from './activity-options.ts';
import { slidingWindow } from './sliding-window.ts';

export interface IngestCentreInput {
  centre: string;
  batchSize: number;
  window: number;
  queues: TaskQueues;
  /** set when the workflow continued as new part-way through its image batches */
  resume?: { retrieve: RetrieveResult; parse: ParseResult; nextBatch: number; images: ImageBatchResult };
}

export const ingestProgressQuery = defineQuery<IngestProgress>('progress');

/**
 * Ingests one centre: retrieve (list, hash, stage) and parse its drop on the io queue, then
 * de-identify and QC its images in batches on the cpu queue, a bounded window of batches in flight.
 * Continues as new when the history grows long, carrying its counts.
 */
export async function ingestCentre(input: IngestCentreInput): Promise<IngestResult> {
  const { io, cpu } = activityProxies(input.queues);
  const images: ImageBatchResult = { ...(input.resume?.images ?? { images: 0, processed: 0, excluded: 0 }) };
  const progress: IngestProgress = { centre: input.centre, step: 'retrieve', images: input.resume?.retrieve.images ?? 0, imagesDone: images.images };
  setHandler(ingestProgressQuery, () => ({ ...progress, imagesDone: images.images }));
  const retrieve = input.resume?.retrieve ?? (await io.retrieveCentre({ centre: input.centre }));
  progress.images = retrieve.images;
  progress.step = 'parse';
  const parse = input.resume?.parse ?? (await io.parseCentre({ centre: input.centre }));
  progress.step = 'images';

  const batches = Math.ceil(retrieve.images / input.batchSize);
  const next = await slidingWindow(
    input.resume?.nextBatch ?? 0,
    batches,
    input.window,
    async (batch) => {
      const result = await cpu.processImageBatch({ centre: input.centre, batch, batchSize: input.batchSize });
      images.images += result.images;
      images.processed += result.processed;
      images.excluded += result.excluded;
    },
    () => workflowInfo().continueAsNewSuggested,
  );
  if (next < batches) {
    await continueAsNew<typeof ingestCentre>({ ...input, resume: { retrieve, parse, nextBatch: next, images } });
  }
  progress.step = 'done';
  return { centre: input.centre, retrieve, parse, images };
}
