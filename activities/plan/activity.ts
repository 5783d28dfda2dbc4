import { ApplicationFailure } from '@temporalio/activity';
import type { BuildInput, BuildPlan } from '../../schemas/payloads.ts';
import type { ActivityDeps } from '../deps.ts';

export function planActivities(deps: ActivityDeps) {
  return {
    /** Checks the worker runs the config the client planned with, and returns the plan's shape. */
    async planBuild({ configHash }: BuildInput): Promise<BuildPlan> {
      if (configHash !== deps.loaded.hash) {
        throw ApplicationFailure.nonRetryable(`this worker runs '${deps.loaded.file}', which differs from the config the build was started with; start the worker with the same temporal.yml`);
      }
      return {
        dataset: deps.config.dataset,
        centres: deps.config.centres.map((c) => c.id),
        batchSize: deps.config.ingest.batchSize,
        window: deps.config.ingest.window,
      };
    },
  };
}
