import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { ActivityStep, type BuildProgress, type IngestProgress } from '../../schemas/payloads.ts';
import { ingestProgressQuery, progressQuery } from '../../workflows/index.ts';

/** One look at a running build: the parent's stage and counts, plus each centre child's image counts. */
export interface BuildProgressSnapshot {
  build: BuildProgress;
  centres: IngestProgress[];
  /** activities of the run being retried right now, and why: so a user waiting out a full disk sees it */
  retrying?: RetryingActivity[];
  /** where the build's running single activity is (the release writer's step and count), when it says */
  step?: ActivityStep;
}

export interface RetryingActivity {
  activity: string;
  attempt: number;
  /** the last failure's message (activities keep source values out of their errors) */
  cause: string;
}

/** The id of the child workflow that ingests `centre` for the build `workflowId` (see buildRelease). */
export const ingestWorkflowId = (workflowId: string, centre: string) => `${workflowId}/ingest-${centre}`;

/** How long one round of progress queries may take by default: a build nobody's worker serves never answers. */
const QUERY_DEADLINE_MS = 5_000;
/** A follower can be patient: the worker answering may be busy (in this very process). */
const POLL_DEADLINE_MS = 15_000;

/** The order buildRelease goes through its stages (see workflows/build-release.ts); a stage never comes back (after `awaiting-review` the build assembles again, shown as still awaiting until concepts). */
const STAGES = ['plan', 'ingest', 'assemble', 'split', 'qc-report', 'awaiting-review', 'concepts', 'release', 'publish', 'done'];
const STEPS: IngestProgress['step'][] = ['retrieve', 'parse', 'images', 'done'];

const later = <T>(order: readonly T[], a: T, b: T): T => (order.indexOf(b) > order.indexOf(a) ? b : a);

/**
 * Progress of one build run (workflow id and run id), as seen from the client: queries the run
 * itself, never whichever run is latest under the id (before this run answers, that is the
 * previous build, at 100%), and only the centre children that this run started (the children of
 * the previous build carry the same ids). What it reports never goes backwards: a centre whose
 * query fails (a worker replaying after a restart, a reconnect) keeps its last counts, and counts
 * and stages only grow.
 */
export class BuildProgressTracker {
  private last: BuildProgressSnapshot | undefined;
  /** run id of each centre child known to belong to this run */
  private readonly childRuns = new Map<string, string>();

  constructor(
    readonly workflowId: string,
    readonly runId: string,
  ) {}

  /** The latest snapshot, merged with everything seen before; undefined until the build first answers. */
  get current(): BuildProgressSnapshot | undefined {
    return this.last;
  }

  /** Queries the run and its centre children once, within `deadlineMs`; rejects when the build itself does not answer. */
  async poll(client: Client, deadlineMs = QUERY_DEADLINE_MS): Promise<BuildProgressSnapshot> {
    const deadline = Date.now() + deadlineMs;
    // the gRPC deadline, and a timer of our own: a call on a connection closed under it (replaced after an outage) may never settle
    const within = <T>(fn: () => Promise<T>) => {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('progress query timed out')), deadline - Date.now() + 1_000).unref()));
      return Promise.race([client.connection.withDeadline(deadline, fn), expired]).finally(() => clearTimeout(timer));
    };
    const build = await within(() => client.workflow.getHandle(this.workflowId, this.runId).query(progressQuery));
    const centres =
      build.stage === 'ingest'
        ? (await Promise.all(build.centres.map((centre) => this.queryCentre(client, centre, within).catch(() => undefined)))).filter((p): p is IngestProgress => p !== undefined)
        : [];
    const { retrying, step } = await this.pendingActivities(client, within).catch(() => ({ retrying: [], step: undefined }));
    return this.merge({ build, centres, retrying, step });
  }

  /**
   * Pending activities of the run and its known centre children: those on their second attempt or
   * later, with their last failure, and the step the run's own activity last heartbeated.
   */
  private async pendingActivities(client: Client, within: <T>(fn: () => Promise<T>) => Promise<T>): Promise<{ retrying: RetryingActivity[]; step?: ActivityStep }> {
    const runs: [string, string][] = [[this.workflowId, this.runId], ...[...this.childRuns].map(([centre, runId]): [string, string] => [ingestWorkflowId(this.workflowId, centre), runId])];
    const retrying: RetryingActivity[] = [];
    let step: ActivityStep | undefined;
    for (const [id, runId] of runs) {
      const description = await within(() => client.workflow.getHandle(id, runId).describe());
      for (const p of description.raw.pendingActivities ?? []) {
        if ((p.attempt ?? 1) > 1 && p.lastFailure?.message) retrying.push({ activity: p.activityType?.name ?? 'activity', attempt: p.attempt!, cause: p.lastFailure.message });
        if (id === this.workflowId && p.heartbeatDetails?.payloads?.length) {
          const details = await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, p.heartbeatDetails.payloads).catch(() => undefined);
          step = ActivityStep.safeParse(details).data ?? step;
        }
      }
    }
    return { retrying, step };
  }

  private async queryCentre(client: Client, centre: string, within: <T>(fn: () => Promise<T>) => Promise<T>): Promise<IngestProgress | undefined> {
    const id = ingestWorkflowId(this.workflowId, centre);
    let runId = this.childRuns.get(centre);
    if (!runId) {
      const description = await within(() => client.workflow.getHandle(id).describe());
      // not started yet by this run: the latest child under the id is the previous build's
      if (description.parentExecution?.runId !== this.runId) return undefined;
      runId = description.runId;
      this.childRuns.set(centre, runId);
    }
    return within(() => client.workflow.getHandle(id, runId).query(ingestProgressQuery));
  }

  /** Folds a fresh snapshot into what was seen before, so no stage, centre or count goes backwards. */
  merge(next: BuildProgressSnapshot): BuildProgressSnapshot {
    const prev = this.last;
    if (!prev) return (this.last = next);
    const stage = later(STAGES, prev.build.stage, next.build.stage);
    const build: BuildProgress = {
      stage,
      centres: next.build.centres.length >= prev.build.centres.length ? next.build.centres : prev.build.centres,
      centresDone: Math.max(prev.build.centresDone, next.build.centresDone),
      conceptBatches: Math.max(prev.build.conceptBatches, next.build.conceptBatches),
      conceptBatchesDone: Math.max(prev.build.conceptBatchesDone, next.build.conceptBatchesDone),
    };
    let centres: IngestProgress[] = [];
    if (stage === 'ingest') {
      const byCentre = new Map(prev.centres.map((c) => [c.centre, c]));
      for (const c of next.centres) {
        const seen = byCentre.get(c.centre);
        byCentre.set(
          c.centre,
          seen ? { centre: c.centre, step: later(STEPS, seen.step, c.step), images: Math.max(seen.images, c.images), imagesDone: Math.max(seen.imagesDone, c.imagesDone) } : c,
        );
      }
      centres = build.centres.filter((c) => byCentre.has(c)).map((c) => byCentre.get(c)!);
    }
    // a step belongs to its stage: the release writer's last heartbeat says nothing once publishing began
    const step = stage === next.build.stage ? next.step : undefined;
    return (this.last = { build, centres, retrying: next.retrying, step });
  }
}

/** Queries a build run's progress and its centre children once (see BuildProgressTracker). */
export async function queryBuildProgress(client: Client, workflowId: string, runId: string): Promise<BuildProgressSnapshot> {
  return new BuildProgressTracker(workflowId, runId).poll(client);
}

/**
 * Polls a build run's progress about every `intervalMs` until stopped, one query round at a time,
 * on whatever client `client()` gives at that moment (it changes when a lost server comes back;
 * undefined while it is down: no query then). A round that fails (the build not started yet, the
 * server away) is skipped; what reaches `onProgress` never goes backwards.
 */
export function pollBuildProgress(
  client: () => Client | undefined,
  workflowId: string,
  runId: string,
  onProgress: (snapshot: BuildProgressSnapshot) => void,
  intervalMs = 1000,
) {
  const tracker = new BuildProgressTracker(workflowId, runId);
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const current = client();
      if (current) {
        const snapshot = await tracker.poll(current, POLL_DEADLINE_MS).catch(() => undefined);
        if (snapshot && !stopped) onProgress(snapshot);
      }
      if (!stopped) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, intervalMs).unref()));
    }
  })();
  return {
    tracker,
    /** stops polling; resolves once a query round in flight has ended */
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
