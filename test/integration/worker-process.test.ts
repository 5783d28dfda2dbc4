import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedConfig } from '../../schemas/config.ts';
import { buildStartOptions } from '../../scripts/build-start.ts';
import { freePort } from '../../scripts/dev-server.ts';
import { connectClient } from '../../worker/connection.ts';
import { serveHealth } from '../../worker/health-server.ts';
import { startWorker } from '../../worker/worker.ts';
import { milk, spawnMilk } from '../helpers/milk-cli.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { workerConfig } from '../helpers/worker-config.ts';

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function lineFrom(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => pattern.test(l));
      if (line) resolve(line);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`milk exited with ${code} before printing ${pattern}: ${err}`)));
  });
}

const healthz = async (port: number) => {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: response.status, body: await response.json() };
};

describe('milk worker as a production process', () => {
  let dir: string;
  let loaded: LoadedConfig;
  let bundle: string;
  const env = () => ({ TEMPORAL_ADDRESS: temporalAddress() });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-worker-process-'));
    vi.stubEnv('TEMPORAL_ADDRESS', temporalAddress());
    loaded = workerConfig(dir);
    bundle = path.join(dir, 'bundle', 'workflows.js');
    const bundled = await milk(['worker', 'bundle', '--out', bundle]);
    expect(bundled.status, bundled.stderr).toBe(0);
    expect(bundled.stdout).toBe(`Wrote the workflow bundle to ${bundle}\n`);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from a prebuilt bundle, serves /healthz, runs the real workflows, and exits 0 on SIGTERM within the grace time', async () => {
    expect(existsSync(bundle)).toBe(true);
    const port = await freePort();
    const worker = spawnMilk(['worker', '--config', loaded.file, '--queues', 'workflow,io', '--workflow-bundle', bundle, '--health-port', String(port), '--shutdown-grace', '5s'], env());
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    try {
      const queues = loaded.config.temporal.taskQueues;
      expect(await lineFrom(worker, /^Worker polling/)).toBe(`Worker polling ${queues.workflow.name}, ${queues.io.name} on ${temporalAddress()}, health on port ${port} (/healthz). SIGTERM or Ctrl-C stops it.`);
      expect(await healthz(port)).toEqual({ status: 200, body: { status: 'ok', queues: ['workflow', 'io'], state: { workflow: 'RUNNING', io: 'RUNNING' } } });

      // buildRelease from the bundle, planBuild on the io queue: the worker process refuses a build planned from another config.
      const client = await connectClient(loaded);
      try {
        const start = buildStartOptions(loaded);
        const build = client.workflow.execute('buildRelease', { taskQueue: start.taskQueue, workflowId: `worker-process-${randomUUID()}`, args: [{ ...start.args[0], configHash: 'another config' }] });
        await expect(build).rejects.toMatchObject({ cause: { cause: { message: expect.stringContaining('this worker runs <redacted>, which differs from the config the build was started with') } } });
      } finally {
        await client.connection.close();
      }

      const stopping = Date.now();
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5_000);
    } finally {
      worker.kill('SIGKILL');
    }
  });

  it('answers 503 on /healthz once its workers are not all running', async () => {
    const worker = await startWorker(loaded, { queues: ['io'] });
    const server = await serveHealth(worker, 0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    try {
      expect((await healthz(port)).status).toBe(200);
      await worker.shutdown();
      expect(await healthz(port)).toEqual({ status: 503, body: { status: 'unavailable', queues: ['io'], state: { io: 'STOPPED' } } });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('refuses an unknown queue name, a missing bundle and an unreachable Temporal with one line each', async () => {
    const unknown = await milk(['worker', '--config', loaded.file, '--queues', 'io,gpu'], env());
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('milk: --queues: unknown queue gpu: expected a comma list of workflow, io, cpu, inference\n');

    const noBundle = await milk(['worker', '--config', loaded.file, '--workflow-bundle', path.join(dir, 'absent.js')], env());
    expect(noBundle.status).toBe(1);
    expect(noBundle.stderr).toBe(`milk: --workflow-bundle: no file ${path.join(dir, 'absent.js')} (write one with \`milk worker bundle --out FILE\`)\n`);

    const nobody = `127.0.0.1:${await freePort()}`;
    const down = await milk(['worker', '--config', loaded.file], { TEMPORAL_ADDRESS: nobody });
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^milk: no Temporal server answers at ${nobody} `))]);
  });

  it('milk health: 0 and one line when the frontend answers, 1 and one line when not', async () => {
    const up = await milk(['health', '--config', loaded.file], env());
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`ok: Temporal at ${temporalAddress()} answers and serves namespace default\n`);

    const nobody = `127.0.0.1:${await freePort()}`;
    const down = await milk(['health', '--config', loaded.file], { TEMPORAL_ADDRESS: nobody });
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^milk: Temporal at ${nobody} \\(namespace default\\) is not healthy: `))]);
  });
});
