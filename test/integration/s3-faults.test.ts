import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadConfig } from '../../schemas/config.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { startS3Server } from '../../scripts/s3-server.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';

type S3Server = Awaited<ReturnType<typeof startS3Server>>;

/** Centre drops behind a proxy that breaks 15% of the store's answers: the release is the undisturbed one. */
describe('retrieval through a faulty network', () => {
  let server: S3Server;
  let proxy: FaultProxy;
  beforeAll(async () => {
    server = await startS3Server({ dir: mkdtempSync(path.join(os.tmpdir(), 'milk-faults-s3-')) });
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    process.env.MILK_ID_KEY = 'the s3-faults test id key, thirty-two characters or more';
    proxy = await startFaultProxy(server.endpoint, { rate: 0.15, seed: 7, delayMs: 1_500 });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('retries 503s, resets, delays and bodies cut halfway (resuming by range), and releases the same content as an undisturbed build', async () => {
    const fixture = await buildFixture('faults', { seed: 41, lesions: 16, to: { bucket: 'drops', prefix: 'faults/', endpoint: server.endpoint, region: server.region } });
    const undisturbed = await runBuild(fixture.loaded, { embeddedWorker: true });

    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.dataset = `${raw.dataset}-faulty`;
    for (const queue of Object.values(raw.temporal.taskQueues) as { name: string }[]) queue.name = `${queue.name}-faulty`;
    raw.storage = { root: path.join(fixture.dir, 'faulty-data') };
    for (const centre of raw.centres) centre.source.endpoint = proxy.endpoint;
    const file = path.join(fixture.dir, 'faulty.yml');
    writeFileSync(file, toYaml(raw));
    const faulty = await runBuild(loadConfig(file), { embeddedWorker: true });

    const injected = Object.values(proxy.faults).reduce((a, b) => a + b, 0);
    console.info(`fault proxy: ${injected} of ${proxy.requests} answers broken ${JSON.stringify(proxy.faults)}`);
    expect(injected / proxy.requests).toBeGreaterThanOrEqual(0.1);
    expect(proxy.faults.cut).toBeGreaterThan(0);
    expect(faulty.summary.centres.map((c) => c.retrieve.failed)).toEqual(faulty.summary.centres.map(() => 0));
    expect(faulty.summary.release).toMatchObject({
      contentHash: undisturbed.summary.release.contentHash,
      lesions: undisturbed.summary.release.lesions,
      images: undisturbed.summary.release.images,
      exclusionsByReason: undisturbed.summary.release.exclusionsByReason,
    });
    const changes = (root: string) => readFileSync(path.join(root, 'release', 'CHANGES.md'), 'utf8').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>');
    expect(changes(path.join(fixture.dir, 'faulty-data'))).toBe(changes(fixture.loaded.storageRoot));
  }, 300_000);
});
