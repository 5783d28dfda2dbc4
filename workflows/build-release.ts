import { condition, defineQuery, defineUpdate, executeChild, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BuildInput, BuildProgress, BuildSummary, OpenReview } from '../schemas/payloads.ts';
import { activityProxies, type TaskQueues } from './activity-options.ts';
import { ingestCentre } from './ingest-centre.ts';
import { slidingWindow } from './sliding-window.ts';

export interface BuildReleaseInput extends BuildInput {
  queues: TaskQueues;
}

export const progressQuery = defineQuery<BuildProgress>('progress');
/** `milk review` recorded a decision (in the private review log; the Update carries its id only): answers what is still open. */
export const reviewRecordedUpdate = defineUpdate<OpenReview, [string]>('reviewRecorded');

const CONCEPT_WINDOW = 4;

/**
 * Builds a release: plans from the worker's config, ingests every centre in a child workflow (ids
 * derived from this one, so they are stable across retries), assembles cases in a single writer,
 * holds out the frozen benchmark split, writes the QC report, scores concepts in batches on the inference queue, writes the release,
 * and publishes it when the config says so (`release.publishAfterBuild`).
 */
export async function buildRelease(input: BuildReleaseInput): Promise<BuildSummary> {
  const { io, inference } = activityProxies(input.queues);
  const progress: BuildProgress = { stage: 'plan', centres: [], centresDone: 0, conceptBatchesDone: 0, conceptBatches: 0 };
  setHandler(progressQuery, () => progress);
  const timings: BuildSummary['timings'] = [];
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    progress.stage = stage;
    const started = Date.now();
    const result = await work();
    timings.push({ stage, ms: Date.now() - started });
    return result;
  };

  const plan = await timed('plan', () => io.planBuild({ configHash: input.configHash }));
  progress.centres = plan.centres;
  const centres = await timed('ingest', () =>
    Promise.all(
      plan.centres.map(async (centre) => {
        const result = await executeChild(ingestCentre, {
          workflowId: `${workflowInfo().workflowId}/ingest-${centre}`,
          args: [{ centre, batchSize: plan.batchSize, window: plan.window, queues: input.queues }],
        });
        progress.centresDone++;
        return result;
      }),
    ),
  );
  let assemble = await timed('assemble', () => io.assembleCases());
  let split = await timed('split', () => io.assignBenchmarkSplit());
  let qcReport = await timed('qc-report', () => io.writeQcReport());
  let open = assemble.review && { openFlags: assemble.review.openFlags, openGroups: assemble.review.openGroups };
  const isOpen = () => open !== undefined && open.openFlags + open.openGroups > 0;
  let awaiting = false;
  setHandler(
    reviewRecordedUpdate,
    // the decision id is for the history's reader; the decisions themselves are read from the private log
    async (_decisionId: string) => {
      open = await io.openReview();
      return open;
    },
    {
      validator: (_decisionId: string) => {
        if (!awaiting) throw new Error('this build is not awaiting review');
      },
    },
  );
  if (input.awaitReviewMs !== undefined && isOpen()) {
    // --await-review: curators resolve the flags with milk review; then (or at the timeout) assemble again with their decisions.
    awaiting = true;
    await timed('awaiting-review', () => condition(() => !isOpen(), input.awaitReviewMs));
    awaiting = false;
    assemble = await timed('assemble', () => io.assembleCases());
    split = await timed('split', () => io.assignBenchmarkSplit());
    qcReport = await timed('qc-report', () => io.writeQcReport());
  }
  progress.conceptBatches = assemble.conceptBatches;
  let conceptImages = 0;
  await timed('concepts', () =>
    slidingWindow(0, assemble.conceptBatches, CONCEPT_WINDOW, async (batch) => {
      const scored = await inference.inferConceptBatch({ batch, batchSize: assemble.conceptBatchSize });
      conceptImages += scored.images; // added after the await: `x += await f()` would read x before it
      progress.conceptBatchesDone++;
    }),
  );
  const release = await timed('release', () => io.writeRelease());
  // Builds started before the publish step replay without it.
  const publish = patched('publish-after-build') ? await timed('publish', () => io.publishBuiltRelease()) : undefined;
  progress.stage = 'done';
  return { dataset: plan.dataset, centres, assemble, split, qcReport, concepts: { images: conceptImages }, release, publish, timings };
}
