import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { LoadedConfig } from '../schemas/config.ts';
import type { BuildSummary } from '../schemas/payloads.ts';
import { buildRelease } from '../workflows/index.ts';
import { buildStartOptions, buildWorkflowId } from './build-start.ts';
import { pollBuildProgress, type BuildProgressSnapshot } from './progress/build-progress.ts';
import { connectClient } from '../worker/connection.ts';
import { startWorker } from '../worker/worker.ts';

export interface BuildRun {
  summary: BuildSummary;
  workflowId: string;
  runId: string;
  wallMs: number;
}

export interface BuildOptions {
  /** run the activities and workflows in this process (default); off when a `milk worker` serves the queues */
  embeddedWorker: boolean;
  onProgress?: (progress: BuildProgressSnapshot) => void;
  /** told the workflow id and run id once the build has started (to print the Temporal UI link) */
  onStart?: (workflowId: string, runId: string) => void;
}

/** Starts `buildRelease` for the config and waits for its summary, polling the progress query meanwhile. */
export async function runBuild(loaded: LoadedConfig, options: BuildOptions): Promise<BuildRun> {
  const started = Date.now();
  const worker = options.embeddedWorker ? await startWorker(loaded) : undefined;
  const client = await connectClient(loaded);
  try {
    const workflowId = buildWorkflowId(loaded);
    const handle = await client.workflow
      .start(buildRelease, { ...buildStartOptions(loaded), workflowId, workflowIdConflictPolicy: 'FAIL' })
      .catch((err: unknown) => {
        if (err instanceof WorkflowExecutionAlreadyStartedError) throw new Error(`a build of ${loaded.config.dataset} is already running (workflow ${workflowId})`);
        throw err;
      });
    options.onStart?.(workflowId, handle.firstExecutionRunId);
    const poller = options.onProgress ? pollBuildProgress(client, workflowId, options.onProgress) : undefined;
    try {
      const summary = await handle.result();
      return { summary, workflowId, runId: handle.firstExecutionRunId, wallMs: Date.now() - started };
    } finally {
      poller?.stop();
    }
  } finally {
    await client.connection.close();
    await worker?.shutdown();
  }
}
