import type { LoadedConfig } from '../schemas/config.ts';
import type { BuildReleaseInput } from '../workflows/build-release.ts';

/** The dataset's one build workflow id: Temporal refuses a second concurrent build of the same dataset. */
export const buildWorkflowId = (loaded: LoadedConfig) => `build-${loaded.config.dataset}`;

/** What every start of `buildRelease` for a config uses, by hand or by a schedule: the workflow task queue and the input. */
export function buildStartOptions(loaded: LoadedConfig, options: { awaitReview?: boolean } = {}): { taskQueue: string; args: [BuildReleaseInput] } {
  const queues = loaded.config.temporal.taskQueues;
  return {
    taskQueue: queues.workflow.name,
    args: [
      {
        configHash: loaded.hash,
        ...(options.awaitReview && { awaitReviewMs: loaded.config.qc.review.awaitMinutes * 60_000 }),
        queues: { io: queues.io.name, cpu: queues.cpu.name, inference: queues.inference.name, heartbeatTimeoutSeconds: loaded.config.temporal.heartbeatTimeoutSeconds, retry: loaded.config.temporal.retry },
      },
    ],
  };
}
