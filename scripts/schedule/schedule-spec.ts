import { isDeepStrictEqual } from 'node:util';
import type { ScheduleDescription, ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { LoadedConfig, ScheduleConfig } from '../../schemas/config.ts';
import { scheduledBuild } from '../../workflows/index.ts';
import { buildStartOptions, buildWorkflowId } from '../build-start.ts';

/** Missed runs (server down) are caught up only if at most this late: a rebuild a day late is better started by hand. */
export const CATCHUP_WINDOW_MS = 60_000;

export type BuildScheduleOptions = ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledBuild>>;

/** Temporal schedule id of a config schedule: ids are per namespace, so the dataset is part of it. */
export const scheduleIdOf = (loaded: LoadedConfig, id: string) => `${loaded.config.dataset}-${id}`;

/** Workflow id of the scheduled runs (Temporal appends the scheduled time); each runs the build itself as `build-<dataset>`, the lock `milk build` uses too. */
export const scheduledBuildWorkflowId = (loaded: LoadedConfig) => `build-${loaded.config.dataset}-scheduled`;

/** The declaration as a person wrote it, e.g. `cron 0 2 * * *` or `every 6h`. */
export function specText(schedule: ScheduleConfig): string {
  return schedule.cron !== undefined ? `cron ${schedule.cron}` : `every ${schedule.every}`;
}

/**
 * The Temporal Schedule a config schedule becomes: it starts `scheduledBuild`, which runs
 * `buildRelease` exactly as `milk build` does (same id, queue and input, config hash included) or
 * skips when a build is running; the schedule itself skips a run while its previous run still runs, and catches up at most CATCHUP_WINDOW_MS. The schedule's memo names the dataset (how
 * `apply` finds the schedules it owns); the action's memo, which `update` can change, carries the
 * config hash and the declaration, and every scheduled build carries it as its workflow memo.
 */
export function desiredSchedule(loaded: LoadedConfig, schedule: ScheduleConfig): BuildScheduleOptions {
  const start = buildStartOptions(loaded);
  return {
    scheduleId: scheduleIdOf(loaded, schedule.id),
    // A cron's time zone is UTC (Temporal's default), as temporal.yml documents.
    spec: schedule.cron !== undefined ? { cronExpressions: [schedule.cron] } : { intervals: [{ every: schedule.every! }] },
    action: {
      type: 'startWorkflow',
      workflowType: scheduledBuild,
      workflowId: scheduledBuildWorkflowId(loaded),
      taskQueue: start.taskQueue,
      args: [{ ...start.args[0], buildWorkflowId: buildWorkflowId(loaded) }],
      memo: { configHash: loaded.hash, spec: specText(schedule) },
    },
    policies: { overlap: 'SKIP', catchupWindow: CATCHUP_WINDOW_MS },
    memo: { dataset: loaded.config.dataset },
    state: { paused: schedule.paused, ...(schedule.note === undefined ? {} : { note: schedule.note }) },
  };
}

/** What a schedule to create and a schedule Temporal describes have in common: the parts `apply` compares. */
interface ComparableSchedule {
  action: { workflowType: string | { name: string }; workflowId?: string; taskQueue?: string; args?: unknown; memo?: Record<string, unknown> };
  policies?: { overlap?: string; catchupWindow?: unknown };
  state?: { paused?: boolean; note?: string };
}

function shapeOf({ action, policies, state }: ComparableSchedule) {
  return {
    // Temporal compiles a cron into calendar specs, so the declaration kept in the action memo stands for the spec.
    spec: action.memo?.spec,
    workflowType: typeof action.workflowType === 'string' ? action.workflowType : action.workflowType.name,
    workflowId: action.workflowId,
    taskQueue: action.taskQueue,
    args: action.args,
    configHash: action.memo?.configHash,
    overlap: policies?.overlap,
    catchupWindow: policies?.catchupWindow,
    paused: state?.paused ?? false,
    note: state?.note,
  };
}

/**
 * The fields in which Temporal's schedule differs from the desired one (empty: identical). The note
 * counts only when the config sets one: pause and unpause write their own notes.
 */
export function scheduleDifferences(desired: BuildScheduleOptions, described: ScheduleDescription): string[] {
  const want = shapeOf(desired);
  const have = shapeOf(described);
  return (Object.keys(want) as (keyof typeof want)[]).filter((field) => !(field === 'note' && want.note === undefined) && !isDeepStrictEqual(want[field], have[field]));
}
