import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ActivityFailure, ChildWorkflowFailure } from '@temporalio/common';
import type { LoadedConfig } from '../../schemas/config.ts';
import type { BuildSummary } from '../../schemas/payloads.ts';
import { buildWorkflowId } from '../build-start.ts';
import { BuildProgressTracker, type BuildProgressSnapshot } from './build-progress.ts';
import { formatSummary, workflowUiLink } from '../cli/summary.ts';
import { ProgressLine } from './progress-line.ts';
import { formatDuration } from './temporal-link.ts';

type Closed = 'completed' | 'failed' | 'terminated' | 'canceled' | 'timed-out';

/** What `milk status` reports: the dataset's running build and its progress, or how its last build ended. */
export type BuildStatus =
  | { state: 'none'; dataset: string; workflowId: string }
  | {
      state: 'running';
      dataset: string;
      workflowId: string;
      runId: string;
      startTime: string;
      /** undefined when no worker answered the progress query in time */
      progress?: BuildProgressSnapshot;
      /** the progress line `milk build` prints, or why there is none */
      line: string;
    }
  | { state: 'completed'; dataset: string; workflowId: string; runId: string; startTime: string; closeTime: string; summary: BuildSummary }
  | { state: Exclude<Closed, 'completed'>; dataset: string; workflowId: string; runId: string; startTime: string; closeTime: string; failure: string };

const CLOSED: Record<string, Closed> = { COMPLETED: 'completed', FAILED: 'failed', TERMINATED: 'terminated', CANCELLED: 'canceled', TIMED_OUT: 'timed-out' };

/**
 * Looks at the dataset's build workflow (`build-<dataset>`, latest run) without starting anything:
 * a running build answers its progress query (within a few seconds, or the status says no worker
 * answered); a closed one gives its summary or its failure from the history.
 */
export async function buildStatus(client: Client, loaded: LoadedConfig): Promise<BuildStatus> {
  const dataset = loaded.config.dataset;
  const workflowId = buildWorkflowId(loaded);
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    });
  if (!description) return { state: 'none', dataset, workflowId };
  const { runId } = description;
  const startTime = description.startTime.toISOString();
  if (description.status.name === 'RUNNING' || description.status.name === 'CONTINUED_AS_NEW') {
    const progress = await new BuildProgressTracker(workflowId, runId).poll(client).catch(() => undefined);
    const line = progress ? new ProgressLine().format(progress) : `no worker answered the progress query (is a worker polling ${description.taskQueue}?)`;
    return { state: 'running', dataset, workflowId, runId, startTime, progress, line };
  }
  const closeTime = (description.closeTime ?? new Date()).toISOString();
  const state = CLOSED[description.status.name] ?? 'failed';
  try {
    const summary = (await client.workflow.getHandle(workflowId, runId, { followRuns: false }).result()) as BuildSummary;
    return { state: 'completed', dataset, workflowId, runId, startTime, closeTime, summary };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return { state: state === 'completed' ? 'failed' : state, dataset, workflowId, runId, startTime, closeTime, failure: failureMessage(err) };
  }
}

/**
 * One line for a failed build: where it failed (child workflow, activity), the reason (the error the
 * activity threw, then its causes) and, for a failure that used up its retries, what to do, e.g.
 * `writeRelease (activity) in build-x: leak scan found 3 PHI value(s) ...`. A non-retryable failure's
 * message says itself what to fix.
 */
export function failureMessage(err: Error): string {
  const where: string[] = [];
  let reasons: string[] = err.cause instanceof Error ? [] : [err.message];
  let retryState: string | undefined;
  for (let e: unknown = err.cause, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) {
      where.push(e instanceof ActivityFailure ? `${e.activityType} (activity)` : `${e.execution.workflowId} (child workflow)`);
      if (e instanceof ActivityFailure) retryState = e.retryState;
      reasons = [];
    } else if (e.message) reasons.push(e.message);
  }
  const todo = retryState === undefined ? undefined : GAVE_UP[retryState];
  const line = `${where.length > 0 ? `${where.reverse().join(' in ')}: ` : ''}${[...new Set(reasons)].join(': ')}${todo ? ` (${todo})` : ''}`;
  return line.trim().replace(/\s*\n\s*/g, '; ');
}

/** What to do about an activity that Temporal stopped retrying, by why it stopped. */
const GAVE_UP: Record<string, string> = {
  MAXIMUM_ATTEMPTS_REACHED: 'failed on every attempt temporal.retry allows: fix the cause and run `milk build` again, which keeps the work already done',
  TIMEOUT: 'timed out on every attempt: check that a worker polls the queue and the machine is not overloaded, then run `milk build` again',
};

/** `milk status --json`: the status and, for a build that ran, its Temporal UI link. */
export function statusJson(status: BuildStatus, loaded: LoadedConfig): Record<string, unknown> {
  return 'runId' in status ? { ...status, uiLink: workflowUiLink(loaded, status.workflowId, status.runId) } : status;
}

/** `milk status`: one line for a running build (and its UI link), or how the last one ended (its summary, or its failure). */
export function formatStatus(status: BuildStatus, loaded: LoadedConfig, now = Date.now()): string {
  if (status.state === 'none') return `No build of ${status.dataset} has run on Temporal at ${loaded.config.temporal.address} (workflow ${status.workflowId}).`;
  const link = `Temporal UI: ${workflowUiLink(loaded, status.workflowId, status.runId)}`;
  if (status.state === 'running') {
    const since = formatDuration(now - Date.parse(status.startTime));
    return [`Build ${status.workflowId} (run ${status.runId}) running since ${status.startTime} (${since}): ${status.line}`, link].join('\n');
  }
  const tookMs = Date.parse(status.closeTime) - Date.parse(status.startTime);
  const took = formatDuration(tookMs);
  if (status.state === 'completed') {
    const run = { summary: status.summary, workflowId: status.workflowId, runId: status.runId, wallMs: tookMs, attached: true };
    return [`Last build ${status.workflowId} (run ${status.runId}) completed at ${status.closeTime}, ${took} after it started.`, '', formatSummary(run, loaded)].join('\n');
  }
  return [`Last build ${status.workflowId} (run ${status.runId}) ${status.state} at ${status.closeTime}, ${took} after it started: ${status.failure}`, link].join('\n');
}
