import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import type { LoadedConfig } from '../../schemas/config.ts';
import { desiredSchedule, scheduleDifferences, scheduleIdOf } from './schedule-spec.ts';

export interface AppliedSchedule {
  scheduleId: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'deleted';
  /** for `updated`: the fields that differed (spec, args, paused, ...) */
  changed?: string[];
}

export interface ListedSchedule {
  scheduleId: string;
  /** the declaration, e.g. `cron 0 2 * * *` */
  spec: string;
  paused: boolean;
  note?: string;
  /** the config hash the schedule's builds are started with */
  configHash: string;
  /** whether the config still declares it (else the next `apply` deletes it) */
  declared: boolean;
  nextRuns: Date[];
  recentActions: { workflowId: string; runId: string; takenAt: Date; status: string }[];
}

export type TriggerResult = { outcome: 'started'; workflowId: string; runId: string } | { outcome: 'skipped' };

/** How long `trigger` waits for the schedule to report the action it took. */
const TRIGGER_WAIT_MS = 15_000;

/**
 * Makes Temporal's schedules of the dataset what the config declares: creates missing ones, updates
 * those whose spec, action, policies or paused state differ, leaves identical ones untouched, and
 * deletes the dataset's schedules the config no longer declares.
 */
export async function applySchedules(client: Client, loaded: LoadedConfig): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const desired of loaded.config.schedules.map((s) => desiredSchedule(loaded, s))) {
    const handle = client.schedule.getHandle(desired.scheduleId);
    const current = await describeIfExists(handle);
    if (!current) {
      await client.schedule.create(desired);
      applied.push({ scheduleId: desired.scheduleId, outcome: 'created' });
      continue;
    }
    const changed = scheduleDifferences(desired, current);
    if (changed.length === 0) {
      applied.push({ scheduleId: desired.scheduleId, outcome: 'unchanged' });
      continue;
    }
    await handle.update(() => ({ spec: desired.spec, action: desired.action, policies: desired.policies, state: desired.state ?? {} }));
    applied.push({ scheduleId: desired.scheduleId, outcome: 'updated', changed });
  }
  const declared = new Set(applied.map((a) => a.scheduleId));
  for (const scheduleId of await datasetScheduleIds(client, loaded)) {
    if (declared.has(scheduleId)) continue;
    await client.schedule.getHandle(scheduleId).delete();
    applied.push({ scheduleId, outcome: 'deleted' });
  }
  return applied;
}

/** The dataset's schedules in Temporal, with their next runs and their recent builds and how those ended. */
export async function listSchedules(client: Client, loaded: LoadedConfig): Promise<ListedSchedule[]> {
  const declared = new Set(loaded.config.schedules.map((s) => scheduleIdOf(loaded, s.id)));
  const ids = [...new Set([...declared, ...(await datasetScheduleIds(client, loaded))])].sort();
  const listed: ListedSchedule[] = [];
  for (const scheduleId of ids) {
    const described = await describeIfExists(client.schedule.getHandle(scheduleId));
    if (!described) continue; // declared but not applied yet
    listed.push({
      scheduleId,
      spec: String(described.action.memo?.spec ?? ''),
      paused: described.state.paused,
      ...(described.state.note ? { note: described.state.note } : {}),
      configHash: String(described.action.memo?.configHash ?? ''),
      declared: declared.has(scheduleId),
      nextRuns: described.info.nextActionTimes,
      recentActions: await Promise.all(
        described.info.recentActions.map(async ({ takenAt, action: { workflow } }) => ({
          workflowId: workflow.workflowId,
          runId: workflow.firstExecutionRunId,
          takenAt,
          status: await workflowStatus(client, workflow.workflowId, workflow.firstExecutionRunId),
        })),
      ),
    });
  }
  return listed;
}

/**
 * Runs a schedule's build now (overlap policy skip: not while a build of this schedule still runs)
 * and waits until the schedule reports what it did: the build it started, or that it skipped.
 */
export async function triggerSchedule(client: Client, loaded: LoadedConfig, id: string): Promise<TriggerResult> {
  const handle = await existingSchedule(client, loaded, id);
  const before = (await handle.describe()).info;
  await handle.trigger('SKIP');
  for (const deadline = Date.now() + TRIGGER_WAIT_MS; Date.now() < deadline; await sleep(200)) {
    const { info } = await handle.describe();
    if (info.numActionsSkippedOverlap > before.numActionsSkippedOverlap) return { outcome: 'skipped' };
    if (info.numActionsTaken > before.numActionsTaken) {
      const { workflow } = info.recentActions.at(-1)!.action;
      return { outcome: 'started', workflowId: workflow.workflowId, runId: workflow.firstExecutionRunId };
    }
  }
  throw new Error(`schedule ${handle.scheduleId} was triggered but reported no action within ${TRIGGER_WAIT_MS / 1000} s; see \`milk schedule list\``);
}

/** Pauses a schedule: no scheduled builds until unpaused (a trigger still runs one). */
export async function pauseSchedule(client: Client, loaded: LoadedConfig, id: string, note = 'paused with milk schedule pause'): Promise<void> {
  await (await existingSchedule(client, loaded, id)).pause(note);
}

export async function unpauseSchedule(client: Client, loaded: LoadedConfig, id: string): Promise<void> {
  await (await existingSchedule(client, loaded, id)).unpause('unpaused with milk schedule unpause');
}

/** The handle of a config schedule id (`nightly`) that exists in Temporal, or an error that says how to create it. */
async function existingSchedule(client: Client, loaded: LoadedConfig, id: string): Promise<ScheduleHandle> {
  const handle = client.schedule.getHandle(scheduleIdOf(loaded, id));
  if (!(await describeIfExists(handle))) {
    const declared = loaded.config.schedules.some((s) => s.id === id);
    throw new Error(`no schedule ${handle.scheduleId} in Temporal namespace ${loaded.config.temporal.namespace}: ${declared ? 'run `milk schedule apply` first' : `declare ${id} under schedules: in ${loaded.file} and run \`milk schedule apply\``}`);
  }
  return handle;
}

async function describeIfExists(handle: ScheduleHandle): Promise<ScheduleDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Ids of the schedules this dataset owns: those whose memo names it. Listing is eventually
 * consistent in Temporal, so a schedule created a moment ago may be missing (apply deletes it on its next run).
 */
async function datasetScheduleIds(client: Client, loaded: LoadedConfig): Promise<string[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) {
    if (summary.memo?.dataset === loaded.config.dataset && summary.scheduleId.startsWith(`${loaded.config.dataset}-`)) ids.push(summary.scheduleId);
  }
  return ids;
}

async function workflowStatus(client: Client, workflowId: string, runId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId, runId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'UNKNOWN'; // past the namespace's retention
    throw err;
  }
}
