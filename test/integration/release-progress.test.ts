import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { keptAlive, reportStep } from '../../activities/keep-alive.ts';
import { BuildProgressTracker } from '../../scripts/progress/build-progress.ts';
import { ProgressLine } from '../../scripts/progress/progress-line.ts';
import { HEARTBEAT_THROTTLE } from '../../worker/worker.ts';
import { probeBundle } from '../helpers/probe-workflows.ts';
import { temporalAddress, useTemporalClient } from '../helpers/temporal.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The release stage is one activity of minutes at full size: its steps travel as heartbeat details
 * through the real server, and the client's progress line shows them while it runs.
 */
describe('progress inside a single long activity', () => {
  const temporal = useTemporalClient();

  it('shows the step and its count as the activity reports them, and an ETA once it moves', async () => {
    const taskQueue = `release-progress-${randomUUID()}`;
    let advance!: () => void;
    let stage = 0;
    const activities = keptAlive({
      async stepping() {
        reportStep({ step: 'read inputs', index: 1, steps: 7 });
        for (const done of [0, 100, 200]) {
          await new Promise<void>((resolve) => (advance = resolve));
          stage++;
          reportStep({ step: 'stage images', index: 2, steps: 7, done, total: 400, unit: 'images' });
        }
      },
    });
    const workerConnection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowBundle: { codePath: await probeBundle() },
      activities,
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    });
    const run = worker.run();
    try {
      const handle = await temporal.client.workflow.start('releaseStageProbe', { taskQueue, workflowId: `release-progress-${randomUUID()}`, args: [{ taskQueue }] });
      const tracker = new BuildProgressTracker(handle.workflowId, handle.firstExecutionRunId);
      let now = 0;
      const line = new ProgressLine(() => now);
      /** polls until the line shows `expected`: heartbeats reach the server within the throttle interval */
      const seen = async (expected: string) => {
        let last = '';
        for (let i = 0; i < 40 && last !== expected; i++) {
          last = line.format(await tracker.poll(temporal.client));
          if (last !== expected) await sleep(250);
        }
        return last;
      };
      expect(await seen('[release] step 1/7 read inputs')).toBe('[release] step 1/7 read inputs');
      advance();
      expect(await seen('[release] step 2/7 stage images, 0/400 images (0%)')).toBe('[release] step 2/7 stage images, 0/400 images (0%)');
      now = 10_000;
      advance();
      // 100 images in 10 s: 300 left take 30 s
      expect(await seen('[release] step 2/7 stage images, 100/400 images (25%), ETA 30 s')).toBe('[release] step 2/7 stage images, 100/400 images (25%), ETA 30 s');
      expect(stage).toBe(2);
      advance();
      await handle.result();
    } finally {
      worker.shutdown();
      await run;
      await workerConnection.close();
    }
  });
});
