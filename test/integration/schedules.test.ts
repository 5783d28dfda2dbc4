import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig, ScheduleConfig } from '../../schemas/config.ts';
import type { BuildSummary } from '../../schemas/payloads.ts';
import { scheduleIdOf } from '../../scripts/schedule/schedule-spec.ts';
import { applySchedules, listSchedules, pauseSchedule, triggerSchedule, unpauseSchedule } from '../../scripts/schedule/schedules.ts';
import { buildStartOptions, buildWorkflowId } from '../../scripts/build-start.ts';
import { buildRelease } from '../../workflows/index.ts';
import type { ScheduledBuildResult } from '../../workflows/scheduled-build.ts';
import { connectClient } from '../../worker/connection.ts';
import { startWorker } from '../../worker/worker.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');

// Crons far from any test run (1 January), so only triggers start builds here.
const NIGHTLY = { id: 'nightly', cron: '0 2 1 1 *' };
const WEEKLY = { id: 'weekly', every: '7d', paused: true, note: 'waiting for the new centre' };

describe('scheduled rebuilds on the real Temporal dev server', () => {
  let fixture: BuildFixture;
  let client: Client;

  /** Writes `schedules:` into the fixture's temporal.yml and loads it again. */
  function withSchedules(schedules: Partial<ScheduleConfig>[]): LoadedConfig {
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.schedules = schedules;
    writeFileSync(fixture.loaded.file, toYaml(raw));
    return fixture.reload();
  }
  const outcomes = (applied: { scheduleId: string; outcome: string }[]) => Object.fromEntries(applied.map((a) => [a.scheduleId, a.outcome]));
  const describeSchedule = (loaded: LoadedConfig, id: string) => client.schedule.getHandle(scheduleIdOf(loaded, id)).describe();

  beforeAll(async () => {
    fixture = await buildFixture('schedules', { seed: 21, lesions: 8 });
    client = await connectClient(fixture.loaded);
  });

  afterAll(async () => {
    for (const id of [NIGHTLY.id, WEEKLY.id]) await client?.schedule.getHandle(scheduleIdOf(fixture.loaded, id)).delete().catch(() => {});
    await client?.connection.close();
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });

  it('apply creates, leaves identical schedules alone, updates a changed cron and deletes what the config drops', async () => {
    const first = withSchedules([NIGHTLY, WEEKLY]);
    const [nightly, weekly] = [scheduleIdOf(first, 'nightly'), scheduleIdOf(first, 'weekly')];
    expect(outcomes(await applySchedules(client, first))).toEqual({ [nightly]: 'created', [weekly]: 'created' });
    expect(outcomes(await applySchedules(client, first))).toEqual({ [nightly]: 'unchanged', [weekly]: 'unchanged' });

    const described = await describeSchedule(first, 'nightly');
    expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 60_000 });
    expect(described.action).toMatchObject({
      workflowType: 'scheduledBuild',
      workflowId: `build-${first.config.dataset}-scheduled`,
      taskQueue: first.config.temporal.taskQueues.workflow.name,
      args: [{ configHash: first.hash, queues: { io: first.config.temporal.taskQueues.io.name }, buildWorkflowId: `build-${first.config.dataset}` }],
      memo: { configHash: first.hash, spec: 'cron 0 2 1 1 *' },
    });
    expect(described.memo).toEqual({ dataset: first.config.dataset });
    const thisYears = new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1, 2));
    expect(described.info.nextActionTimes[0]).toEqual(thisYears > new Date() ? thisYears : new Date(Date.UTC(thisYears.getUTCFullYear() + 1, 0, 1, 2)));
    expect((await describeSchedule(first, 'weekly')).state).toMatchObject({ paused: true, note: WEEKLY.note });

    const changed = withSchedules([{ ...NIGHTLY, cron: '0 3 1 1 *' }, WEEKLY]);
    const applied = await applySchedules(client, changed);
    expect(applied.find((a) => a.scheduleId === nightly)).toMatchObject({ outcome: 'updated', changed: expect.arrayContaining(['spec']) });
    expect((await describeSchedule(changed, 'nightly')).info.nextActionTimes[0]!.getUTCHours()).toBe(3);
    // editing schedules is no change to what a build makes: the config hash in every build's input stays
    expect(changed.hash).toBe(first.hash);
    expect((await describeSchedule(changed, 'weekly')).action.args).toEqual([expect.objectContaining({ configHash: changed.hash })]);

    const dropped = withSchedules([{ ...NIGHTLY, cron: '0 3 1 1 *' }]);
    expect(outcomes(await applySchedules(client, dropped))).toEqual({ [nightly]: 'unchanged', [weekly]: 'deleted' });
    await expect(describeSchedule(dropped, 'weekly')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(outcomes(await applySchedules(client, dropped))).toEqual({ [nightly]: 'unchanged' });
  });

  it('runs as `milk schedule apply` and `milk schedule list`', () => {
    const loaded = withSchedules([NIGHTLY]);
    const milk = (...args: string[]) => spawnSync(process.execPath, [MILK, 'schedule', ...args, '-c', loaded.file, '--json'], { encoding: 'utf8', env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() } });
    const id = scheduleIdOf(loaded, 'nightly');
    const first = milk('apply');
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual([expect.objectContaining({ scheduleId: id })]);
    expect(JSON.parse(milk('apply').stdout)).toEqual([{ scheduleId: id, outcome: 'unchanged' }]);
    expect(JSON.parse(milk('list').stdout)).toEqual([expect.objectContaining({ scheduleId: id, spec: 'cron 0 2 1 1 *', paused: false })]);
  });

  it('pause and unpause show in describe and list; apply restores the paused state the config declares', async () => {
    const loaded = withSchedules([NIGHTLY]);
    await applySchedules(client, loaded);
    await pauseSchedule(client, loaded, 'nightly', 'centre maintenance');
    expect((await describeSchedule(loaded, 'nightly')).state).toMatchObject({ paused: true, note: 'centre maintenance' });
    expect((await listSchedules(client, loaded)).find((s) => s.scheduleId === scheduleIdOf(loaded, 'nightly'))).toMatchObject({ paused: true, note: 'centre maintenance', spec: 'cron 0 2 1 1 *', declared: true });

    await unpauseSchedule(client, loaded, 'nightly');
    expect((await describeSchedule(loaded, 'nightly')).state.paused).toBe(false);
    await pauseSchedule(client, loaded, 'nightly');
    expect(await applySchedules(client, loaded)).toEqual([{ scheduleId: scheduleIdOf(loaded, 'nightly'), outcome: 'updated', changed: ['paused'] }]);
    expect((await describeSchedule(loaded, 'nightly')).state.paused).toBe(false);

    await expect(pauseSchedule(client, loaded, 'hourly')).rejects.toThrow(`no schedule ${loaded.config.dataset}-hourly in Temporal namespace default: declare hourly under schedules: in ${loaded.file}`);
  });

  it('trigger starts a build that completes, skips while it runs, and a later trigger reuses everything', async () => {
    const loaded = withSchedules([NIGHTLY]);
    await applySchedules(client, loaded);
    const worker = await startWorker(loaded);
    try {
      const first = await triggerSchedule(client, loaded, 'nightly');
      if (first.outcome !== 'started') throw new Error('the first trigger did not start a build');
      expect(first.workflowId.startsWith(`build-${loaded.config.dataset}-scheduled`)).toBe(true);
      // a second trigger while that build runs is skipped (overlap policy SKIP)
      expect(await triggerSchedule(client, loaded, 'nightly')).toEqual({ outcome: 'skipped' });
      const built = await summaryOf(first);
      expect(built.release.lesions).toBe(8);
      expect(built.release.reused).toBe(false);

      const second = await triggerSchedule(client, loaded, 'nightly');
      if (second.outcome !== 'started') throw new Error('the trigger after the build finished did not start one');
      expect(second.workflowId).not.toBe(first.workflowId);
      const rebuilt = await summaryOf(second);
      // nothing changed at the centres: nothing fetched, nothing new, the release kept as it was
      expect(rebuilt.centres.map((c) => [c.retrieve.fetched, c.retrieve.new, c.retrieve.changed, c.retrieve.deleted])).toEqual(rebuilt.centres.map(() => [0, 0, 0, 0]));
      expect(rebuilt.release.manifestSha256).toBe(built.release.manifestSha256);
      const [listed] = await listSchedules(client, loaded);
      expect(listed!.recentActions.map((a) => [a.workflowId, a.status])).toEqual([
        [first.workflowId, 'COMPLETED'],
        [second.workflowId, 'COMPLETED'],
      ]);
      expect(rebuilt.release.reused).toBe(true);

      // A build started by hand holds the dataset's build id: a scheduled run meanwhile is skipped, not run beside it.
      const manual = await client.workflow.start(buildRelease, { workflowId: buildWorkflowId(loaded), ...buildStartOptions(loaded) });
      const third = await triggerSchedule(client, loaded, 'nightly');
      if (third.outcome !== 'started') throw new Error('the trigger did not start a scheduled run');
      expect(await client.workflow.getHandle(third.workflowId, third.runId).result()).toEqual({ outcome: 'skipped', reason: `a build of this dataset is running (workflow ${buildWorkflowId(loaded)})` });
      await manual.result();
    } finally {
      await worker.shutdown();
    }

    async function summaryOf(run: { workflowId: string; runId: string }): Promise<BuildSummary> {
      const result: ScheduledBuildResult = await client.workflow.getHandle(run.workflowId, run.runId).result();
      if (result.outcome !== 'built') throw new Error(`the scheduled run did not build: ${result.reason}`);
      return result.summary;
    }
  });
});
