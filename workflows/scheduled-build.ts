import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild } from '@temporalio/workflow';
import type { BuildSummary } from '../schemas/payloads.ts';
import { buildRelease, type BuildReleaseInput } from './build-release.ts';

export interface ScheduledBuildInput extends BuildReleaseInput {
  /** the dataset's one build workflow id (`build-<dataset>`), the same `milk build` uses */
  buildWorkflowId: string;
}

export type ScheduledBuildResult = { outcome: 'built'; summary: BuildSummary } | { outcome: 'skipped'; reason: string };

/**
 * What a Temporal Schedule starts: the dataset's build as a child under the dataset's one build id,
 * so a scheduled and a manual build can never run at once (the schedule's own ids carry a timestamp
 * and would not collide). A build already running makes this run a skip.
 */
export async function scheduledBuild(input: ScheduledBuildInput): Promise<ScheduledBuildResult> {
  const { buildWorkflowId, ...build } = input;
  try {
    return { outcome: 'built', summary: await executeChild(buildRelease, { workflowId: buildWorkflowId, args: [build] }) };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'skipped', reason: `a build of this dataset is running (workflow ${buildWorkflowId})` };
    throw err;
  }
}
