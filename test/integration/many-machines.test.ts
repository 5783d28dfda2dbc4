import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Connection, Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { loadConfig } from '../../schemas/config.ts';
import { freePort } from '../../scripts/dev-server.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { startS3Server } from '../../scripts/s3-server.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { SAMPLE_DIR, sampleAvailable, sampleSkipReason } from '../helpers/sample.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');
type S3Server = Awaited<ReturnType<typeof startS3Server>>;

interface WorkerProcess {
  queues: string;
  child: ChildProcess;
  /** its own empty working and temporary folder: workers share nothing local */
  dir: string;
  healthPort: number;
  exited: Promise<number | null>;
}

async function getText(client: S3Client, bucket: string, key: string): Promise<string> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString();
}

/**
 * The cpu worker process running an activity of the build right now: a pending activity's
 * `lastWorkerIdentity` is `<pid>@<host>` (the SDK's default). Running activities are not in the
 * history yet (their started event is written when they end), so this asks DescribeWorkflowExecution.
 */
async function workerInCpuActivity(client: Client, workflowId: string, centres: readonly string[], workers: readonly WorkerProcess[]): Promise<WorkerProcess | undefined> {
  for (const centre of centres) {
    const description = await client.workflow.getHandle(`${workflowId}/ingest-${centre}`).describe().catch(() => undefined);
    for (const pending of description?.raw.pendingActivities ?? []) {
      if (pending.activityType?.name !== 'processImageBatch' || !pending.lastWorkerIdentity) continue;
      const worker = workers.find((w) => w.queues === 'cpu' && pending.lastWorkerIdentity!.startsWith(`${w.child.pid}@`));
      if (worker) return worker;
    }
  }
  return undefined;
}

describe.skipIf(!sampleAvailable)(`many machines: S3 storage root, one worker process per queue group${sampleAvailable ? '' : ` (${sampleSkipReason})`}`, () => {
  let server: S3Server;
  let s3: S3Client;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    server = await startS3Server({ dir: mkdtempSync(path.join(os.tmpdir(), 'milk-machines-s3-')) });
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    s3 = s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
    for (const bucket of ['state', 'published']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    s3?.destroy();
    await server?.stop();
  });

  it('builds real sample drops from S3 with four worker processes, survives kill -9 of a cpu worker, and releases what one embedded worker on a folder releases', async () => {
    const fixture = await buildFixture('machines', { seed: 17, lesions: 30, fromMilk10k: SAMPLE_DIR, to: { bucket: 'drops', prefix: 'machines/', endpoint: server.endpoint, region: server.region } });
    // The same id key for both roots, so both issue the same public ids and draw the same benchmark.
    process.env.MILK_ID_KEY = 'many-machines test id key, thirty-two or more characters';
    const reference = await runBuild(fixture.loaded, { embeddedWorker: true });
    expect(reference.summary.release.lesions).toBeGreaterThan(25);

    // The same drops and settings, built by separate worker processes that share only Temporal and S3.
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.dataset = `${raw.dataset}-s3`;
    for (const queue of Object.values(raw.temporal.taskQueues) as { name: string }[]) queue.name = `${queue.name}-s3`;
    raw.temporal.heartbeatTimeoutSeconds = 10; // a killed worker's activity is retried elsewhere after 10 s
    raw.storage = { root: 's3://state/machines/', s3: { endpoint: server.endpoint, region: server.region, forcePathStyle: true } };
    raw.ingest = { ...raw.ingest, batchSize: 6 };
    raw.release.publish = { bucket: 'published', prefix: 'milk10k/', endpoint: server.endpoint, region: server.region, forcePathStyle: true };
    raw.release.publishAfterBuild = true;
    const configFile = path.join(fixture.dir, 'machines.yml');
    writeFileSync(configFile, toYaml(raw));
    const loaded = loadConfig(configFile);

    for (const queues of ['workflow,io', 'cpu', 'cpu', 'inference']) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'milk-machine-'));
      const healthPort = await freePort();
      const child = spawn(process.execPath, [MILK, 'worker', '--config', configFile, '--queues', queues, '--health-port', String(healthPort)], {
        cwd: dir,
        env: { ...process.env, TMPDIR: dir, TEMPORAL_ADDRESS: temporalAddress() },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      void exited.then((code) => code !== 0 && code !== null && console.error(`worker ${queues} exited ${code}: ${stderr}`));
      workers.push({ queues, child, dir, healthPort, exited });
    }
    // every process polls its queues before the build starts
    const deadline = Date.now() + 90_000;
    for (const w of workers) {
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${w.healthPort}/healthz`).then((r) => r.ok, () => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`worker ${w.queues} never became healthy`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    const connection = await Connection.connect({ address: temporalAddress() });
    const client = new Client({ connection });
    let workflowId = '';
    let killed: WorkerProcess | undefined;
    let built = false;
    const watch = (async () => {
      while (!killed && !built) {
        if (workflowId) {
          const victim = await workerInCpuActivity(client, workflowId, loaded.config.centres.map((c) => c.id), workers);
          if (victim) {
            victim.child.kill('SIGKILL');
            killed = victim;
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const distributed = await runBuild(loaded, { embeddedWorker: false, onStart: (id) => void (workflowId = id) }).finally(() => void (built = true));
    await watch;
    await connection.close();

    expect(killed, 'a cpu worker was killed in the middle of an activity').toBeDefined();
    expect(await killed!.exited).toBeNull(); // killed by the signal
    expect(distributed.summary.release).toMatchObject({ lesions: reference.summary.release.lesions, images: reference.summary.release.images, contentHash: reference.summary.release.contentHash });
    // the release read back from S3 is the reference's
    const released = JSON.parse(await getText(s3, 'state', 'machines/release/RELEASE.json'));
    const referenceInfo = JSON.parse(readFileSync(path.join(fixture.loaded.storageRoot, 'release', 'RELEASE.json'), 'utf8'));
    expect(released.contentHash).toBe(referenceInfo.contentHash);
    expect(await getText(s3, 'state', 'machines/release/MILK10k_Training_GroundTruth.csv')).toBe(readFileSync(path.join(fixture.loaded.storageRoot, 'release', 'MILK10k_Training_GroundTruth.csv'), 'utf8'));
    // published as the build's last step, and recorded
    expect(distributed.summary.publish).toMatchObject({ published: true, version: '1.0.0', outcome: 'published' });
    expect(JSON.parse(await getText(s3, 'published', `milk10k/${released.name}-1.0.0/RELEASE.json`)).contentHash).toBe(released.contentHash);

    // graceful stop; nothing left in any worker's own folder
    for (const w of workers.filter((x) => x !== killed)) w.child.kill('SIGTERM');
    for (const w of workers.filter((x) => x !== killed)) expect(await w.exited).toBe(0);
    for (const w of workers.filter((x) => x !== killed)) expect(readdirSync(w.dir).filter((f) => f.startsWith('milk-'))).toEqual([]);
  }, 400_000);
});
