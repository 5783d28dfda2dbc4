import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { LoadedConfig } from '../schemas/config.ts';
import type { BuildSummary } from '../schemas/payloads.ts';
import { buildRelease } from '../workflows/index.ts';
import { buildStartOptions, buildWorkflowId } from './build-start.ts';
import { pollBuildProgress, type BuildProgressSnapshot } from './progress/build-progress.ts';
import { acceptsConnections, ServerUnreachableError, TemporalLink, type OutageNotice } from './progress/temporal-link.ts';
import { connectClient, connectionOptions, isTemporalReachable } from '../worker/connection.ts';
import { startWorker, type RunningWorker } from '../worker/worker.ts';

export interface BuildRun {
  summary: BuildSummary;
  workflowId: string;
  runId: string;
  /** from the build's start (this process's, or the attached build's own) to its summary */
  wallMs: number;
  /** whether this call attached to a build of the dataset that was already running */
  attached: boolean;
}

export interface BuildOptions {
  /** run the activities and workflows in this process (default); off when a `milk worker` serves the queues */
  embeddedWorker: boolean;
  onProgress?: (progress: BuildProgressSnapshot) => void;
  /** told the workflow id and run id once the build has started (to print the Temporal UI link) */
  onStart?: (workflowId: string, runId: string) => void;
  /** told instead of onStart when a build of the dataset was already running and this call follows it */
  onAttach?: (workflowId: string, runId: string, startedAt: Date) => void;
  /** the server went away while following the build, or came back */
  onOutage?: (notice: OutageNotice) => void;
  /** pause after QC until curators resolve the open flags (milk review sends their decisions as Updates) */
  awaitReview?: boolean;
  /** how long one outage may last before the call gives up following (the build goes on on the server); default 10 min */
  maxOutageMs?: number;
}

/**
 * Starts `buildRelease` for the config, or attaches to the dataset's build if one is running
 * (manual or scheduled: both run as `build-<dataset>`), and waits for its summary, polling the
 * progress query meanwhile. Survives Temporal outages up to `maxOutageMs` each: it reconnects with
 * backoff and goes on waiting; after that, it throws a one-line error saying how to re-attach.
 */
export async function runBuild(loaded: LoadedConfig, options: BuildOptions): Promise<BuildRun> {
  const started = Date.now();
  const link = await TemporalLink.open({
    address: loaded.config.temporal.address,
    // nothing listening fails at once; a server still starting, or this process busy with its worker's backlog, gets 15 s
    probe: () => acceptsConnections(loaded.config.temporal.address),
    connect: () => connectClient(loaded, '15s'),
    reachable: () => isTemporalReachable(connectionOptions(loaded)),
    maxOutageMs: options.maxOutageMs,
    onNotice: options.onOutage,
  });
  const workflowId = buildWorkflowId(loaded);
  let worker: RunningWorker | undefined;
  let runId: string | undefined;
  let gaveUp = false;
  try {
    // the embedded worker connects on its own (a native connection): a server lost meanwhile is waited for too
    if (options.embeddedWorker) worker = await link.run(() => startWorker(loaded));
    const begun = await link.run(async (client) => {
      try {
        const handle = await client.workflow.start(buildRelease, { ...buildStartOptions(loaded, { awaitReview: options.awaitReview }), workflowId, workflowIdConflictPolicy: 'FAIL' });
        return { runId: handle.firstExecutionRunId, attached: false, startedAt: new Date(started) };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // the running build (or, if it ended just now, the one that ended): follow it to its summary
        const running = await client.workflow.getHandle(workflowId).describe();
        return { runId: running.runId, attached: true, startedAt: running.startTime };
      }
    });
    runId = begun.runId;
    if (begun.attached) options.onAttach?.(workflowId, runId, begun.startedAt);
    else options.onStart?.(workflowId, runId);
    const poller = options.onProgress ? pollBuildProgress(() => link.client, workflowId, runId, options.onProgress) : undefined;
    try {
      // result() gives up after some 20 s without the server ("Failed to get Workflow execution history"): the link waits for it and asks again
      const result = link.run((client) => client.workflow.getHandle(workflowId, runId).result());
      // an embedded worker that fails leaves the build to other workers (or none): say so rather than wait
      const workerFailed = worker?.done.then(
        () => new Promise<never>(() => {}),
        (err: Error) => Promise.reject(new Error(`the embedded worker stopped (${err.message}): build ${workflowId} (run ${runId}) keeps running on the server; \`milk build\` re-attaches to it`)),
      );
      // whichever loses the race is left to settle (or fail on the closed link) unheard
      result.catch(() => {});
      workerFailed?.catch(() => {});
      const summary = await (workerFailed ? Promise.race([result, workerFailed]) : result);
      return { summary, workflowId, runId, wallMs: Date.now() - begun.startedAt.getTime(), attached: begun.attached };
    } finally {
      // a query round in flight ends in milliseconds, or on its deadline when the server is away: not worth waiting for then
      await Promise.race([poller?.stop(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
  } catch (err) {
    if (!(err instanceof ServerUnreachableError)) throw err;
    gaveUp = true;
    const which = runId ? `build ${workflowId} (run ${runId}), which keeps running on the server` : `build ${workflowId}, which may be running on the server`;
    throw new Error(
      `${err.message}: stopped following ${which}${worker ? ' once a worker polls its queues again (this process and its embedded worker stop now)' : ''}; ` +
        '`milk build` re-attaches to it, `milk status` shows its progress or outcome',
    );
  } finally {
    await link.close();
    // with the server away, a worker cannot say goodbye to it: do not wait long for that
    if (worker) await (gaveUp ? Promise.race([worker.shutdown().catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]) : worker.shutdown());
  }
}
