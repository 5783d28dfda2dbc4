import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedConfig } from '../../schemas/config.ts';
import { connectClient } from '../../worker/connection.ts';
import { startWorker, type RunningWorker } from '../../worker/worker.ts';
import { probeBundle } from '../helpers/probe-workflows.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { workerConfig } from '../helpers/worker-config.ts';

const { TaskQueueType } = proto.temporal.api.enums.v1;

/** The innermost cause of a failed workflow's error: the activity's own failure. */
function rootMessage(err: unknown): string {
  let e = err as { cause?: unknown; message: string };
  while (e.cause) e = e.cause as typeof e;
  return e.message;
}

describe('a worker started with some queues only', () => {
  let dir: string;
  let loaded: LoadedConfig;
  let cpuOnly: RunningWorker;
  let client: Client;
  let probes: Worker;
  let probeConnection: NativeConnection;
  let probesRun: Promise<void>;
  const probeQueue = `probes-${randomUUID()}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-queues-'));
    vi.stubEnv('TEMPORAL_ADDRESS', temporalAddress());
    loaded = workerConfig(dir);
    cpuOnly = await startWorker(loaded, { queues: ['cpu'] });
    client = await connectClient(loaded);
    // The probe workflows run on a worker of their own, so the only pipeline worker is the cpu one.
    probeConnection = await NativeConnection.connect({ address: temporalAddress() });
    probes = await Worker.create({ connection: probeConnection, taskQueue: probeQueue, workflowBundle: { codePath: await probeBundle() } });
    probesRun = probes.run();
  });
  afterAll(async () => {
    probes?.shutdown();
    await probesRun;
    await probeConnection?.close();
    await client?.connection.close();
    await cpuOnly?.shutdown();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (taskQueue: string, activity: string, args: unknown[]) =>
    client.workflow.execute('callActivity', { taskQueue: probeQueue, workflowId: `call-${activity}-${randomUUID()}`, args: [{ taskQueue, activity, args }] });
  const pollers = async (taskQueue: string) =>
    (await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY })).pollers ?? [];

  it('registers only its group: an io activity sent to the cpu queue is not there', async () => {
    const queues = loaded.config.temporal.taskQueues;
    expect(cpuOnly.queues).toEqual(['cpu']);
    expect(cpuOnly.states()).toEqual({ cpu: 'RUNNING' });
    const failure = await call(queues.cpu.name, 'planBuild', [{ configHash: loaded.hash }]).catch((err: unknown) => err);
    // quoted strings are redacted by the failure converter, the activity's own name is not
    expect(rootMessage(failure)).toBe('Activity function planBuild is not registered on this Worker, available activities: [<redacted>]');
    // the cpu activity itself runs there (and, with nothing retrieved, completes or fails on its own terms)
    const outcome = await call(queues.cpu.name, 'processImageBatch', [{ centre: 'vienna', batch: 0, batchSize: 50 }]).then(() => 'completed', rootMessage);
    expect(outcome).not.toMatch(/not registered/);
  });

  it('polls the cpu queue and not io, inference or the workflow queue', async () => {
    const queues = loaded.config.temporal.taskQueues;
    await vi.waitFor(async () => expect((await pollers(queues.cpu.name)).length).toBeGreaterThan(0), { timeout: 10_000, interval: 250 });
    expect(await pollers(queues.io.name)).toEqual([]);
    expect(await pollers(queues.inference.name)).toEqual([]);
    const workflowPollers = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queues.workflow.name }, taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
    expect(workflowPollers.pollers ?? []).toEqual([]);
  });
});
