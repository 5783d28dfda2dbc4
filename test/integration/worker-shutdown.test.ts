import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { failFastOnShutdown } from '../../worker/fail-fast-on-shutdown.ts';
import { probeBundle } from '../helpers/probe-workflows.ts';
import { temporalAddress, useTemporalClient } from '../helpers/temporal.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Like the pipeline's activities, `nap` ignores cancellation. A worker shutting down with it in
 * flight waits for it, unless failFastOnShutdown wraps it.
 */
describe('worker shutdown with an activity in flight', () => {
  const temporal = useTemporalClient();

  /** A worker running the probe workflows and `nap`; starts one nap of `napMs` and shuts down once it runs. */
  async function shutDownDuringNap(napMs: number, graceMs: number, wrap: boolean) {
    const taskQueue = `shutdown-${randomUUID()}`;
    let napStarted!: () => void;
    const started = new Promise<void>((resolve) => (napStarted = resolve));
    let napsFinished = 0;
    const activities = {
      async nap(ms: number) {
        napStarted();
        await sleep(ms);
        napsFinished++;
        return 'rested';
      },
    };
    const workerConnection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowBundle: { codePath: await probeBundle() },
      activities: wrap ? failFastOnShutdown(activities) : activities,
      shutdownGraceTime: graceMs,
    });
    const run = worker.run();
    const handle = await temporal.client.workflow.start('callActivity', { taskQueue, workflowId: `nap-${randomUUID()}`, args: [{ taskQueue, activity: 'nap', args: [napMs] }] });
    await started;
    const stopping = Date.now();
    worker.shutdown();
    await run;
    const stopMs = Date.now() - stopping;
    await workerConnection.close();
    const events = (await handle.fetchHistory()).events ?? [];
    await handle.terminate('test over').catch(() => {});
    return { stopMs, napsFinished, completed: events.some((e) => e.activityTaskCompletedEventAttributes), failed: events.some((e) => e.activityTaskFailedEventAttributes || e.activityTaskCanceledEventAttributes) };
  }

  it('lets an activity that ends within the grace time finish and report its result', async () => {
    const outcome = await shutDownDuringNap(500, 10_000, true);
    expect(outcome).toMatchObject({ napsFinished: 1, completed: true, failed: false });
    expect(outcome.stopMs).toBeLessThan(5_000);
  });

  it('fails a longer activity right after the grace time, instead of waiting for it', async () => {
    const outcome = await shutDownDuringNap(60_000, 1_000, true);
    expect(outcome).toMatchObject({ napsFinished: 0, completed: false, failed: true });
    expect(outcome.stopMs).toBeGreaterThanOrEqual(900);
    expect(outcome.stopMs).toBeLessThan(5_000);
  });

  it('(without the wrapper the shutdown waits for the whole activity)', async () => {
    const outcome = await shutDownDuringNap(4_000, 500, false);
    expect(outcome.napsFinished).toBe(1);
    expect(outcome.stopMs).toBeGreaterThanOrEqual(3_500);
  });
});
