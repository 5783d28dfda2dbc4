import type { Client } from '@temporalio/client';
import type { BuildProgress, IngestProgress } from '../../schemas/payloads.ts';
import { ingestProgressQuery, progressQuery } from '../../workflows/index.ts';

/** One look at a running build: the parent's stage and counts, plus each centre child's image counts. */
export interface BuildProgressSnapshot {
  build: BuildProgress;
  centres: IngestProgress[];
}

/** The id of the child workflow that ingests `centre` for the build `workflowId` (see buildRelease). */
export const ingestWorkflowId = (workflowId: string, centre: string) => `${workflowId}/ingest-${centre}`;

/** Queries the build and, while it ingests, its centre children (a child not started yet, or finished, answers nothing). */
export async function queryBuildProgress(client: Client, workflowId: string): Promise<BuildProgressSnapshot> {
  const build = await client.workflow.getHandle(workflowId).query(progressQuery);
  const centres =
    build.stage === 'ingest'
      ? (await Promise.all(build.centres.map((c) => client.workflow.getHandle(ingestWorkflowId(workflowId, c)).query(ingestProgressQuery).catch(() => undefined)))).filter(
          (p): p is IngestProgress => p !== undefined,
        )
      : [];
  return { build, centres };
}

/** Polls the build's progress every `intervalMs` until stopped; failed queries (build not started yet) are skipped. */
export function pollBuildProgress(client: Client, workflowId: string, onProgress: (snapshot: BuildProgressSnapshot) => void, intervalMs = 1000) {
  const timer = setInterval(() => {
    queryBuildProgress(client, workflowId).then(onProgress, () => {});
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
