import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { startS3Server } from '../../scripts/s3-server.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const PROJECT = path.resolve(import.meta.dirname, '..', '..');
type S3Server = Awaited<ReturnType<typeof startS3Server>>;

/** Centre drops in a real S3 server (SeaweedFS): build, change the drops, rebuild incrementally, survive a worker crash. */
describe('retrieval from S3', () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startS3Server({ dir: mkdtempSync(path.join(os.tmpdir(), 'milk-s3-')) });
    // The generated configs use the SDK's standard credential chain.
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
  });
  afterAll(async () => server?.stop());

  const client = () => s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });

  it('builds from S3, then fetches only new and changed objects and reports deleted ones', async () => {
    const fixture = await buildFixture('s3', { seed: 21, lesions: 10, to: { bucket: 'drops', prefix: 'incremental/', endpoint: server.endpoint, region: server.region } });
    expect(fixture.loaded.config.centres[0]!.source).toMatchObject({ type: 's3', bucket: 'drops', prefix: `incremental/${fixture.loaded.config.centres[0]!.id}/` });
    const first = await runBuild(fixture.loaded, { embeddedWorker: true });
    expect(first.summary.release.lesions).toBe(10);
    const vienna = first.summary.centres[0]!;
    expect(vienna.retrieve.fetched).toBe(vienna.retrieve.objects);

    // One image deleted, one replaced by other bytes, one stray file added.
    const key = (k: { centre: string; file: string }) => `incremental/${k.centre}/${k.file}`;
    const [gone, changed] = fixture.key.filter((k) => k.centre === vienna.centre);
    const s3 = client();
    await s3.send(new DeleteObjectCommand({ Bucket: 'drops', Key: key(gone!) }));
    await s3.send(new PutObjectCommand({ Bucket: 'drops', Key: key(changed!), Body: readFileSync(path.join(fixture.dir, fixture.key.at(-1)!.centre, fixture.key.at(-1)!.file)) }));
    await s3.send(new PutObjectCommand({ Bucket: 'drops', Key: `incremental/${vienna.centre}/notes.txt`, Body: 'sent by mistake' }));
    // A bad drop at another centre: an empty file, keys differing only by case, an oversized object,
    // a non-image named .jpg, and a spreadsheet formula where a diagnosis should be.
    const other = fixture.loaded.config.centres[1]!;
    const bad = (name: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: 'drops', Key: `incremental/${other.id}/${name}`, Body: body }));
    await bad('fotos/empty.jpg', '');
    await bad('fotos/Twin.jpg', readFileSync(path.join(fixture.dir, fixture.key.at(-1)!.centre, fixture.key.at(-1)!.file)));
    await bad('fotos/twin.jpg', readFileSync(path.join(fixture.dir, fixture.key.at(-1)!.centre, fixture.key.at(-1)!.file)));
    await bad('fotos/huge.jpg', Buffer.alloc(3 * 1024 * 1024, 1));
    await bad('fotos/not-an-image.jpg', 'this is text');
    const metadataKey = `incremental/${other.id}/${other.dialect.metadataFile}`;
    const metadata = readFileSync(path.join(fixture.dir, other.id, other.dialect.metadataFile!), 'utf8');
    const formulaRow = metadata.trimEnd().split('\r\n')[1]!.split(',').map((cell, i) => (i === 2 ? 'fotos/not-an-image.jpg' : i === 4 ? '=HYPERLINK("http://x")' : cell)).join(',');
    await s3.send(new PutObjectCommand({ Bucket: 'drops', Key: metadataKey, Body: `${metadata.trimEnd()}\r\n${formulaRow}\r\n` }));
    s3.destroy();
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.ingest = { ...raw.ingest, maxObjectBytes: 2 * 1024 * 1024 };
    writeFileSync(fixture.loaded.file, toYaml(raw));

    const second = await runBuild(fixture.reload(), { embeddedWorker: true });
    const again = second.summary.centres[0]!.retrieve;
    expect({ new: again.new, changed: again.changed, deleted: again.deleted, fetched: again.fetched, failed: again.failed }).toEqual({ new: 1, changed: 1, deleted: 1, fetched: 2, failed: 0 });
    expect(second.summary.centres.slice(2).every((c) => c.retrieve.fetched === 0)).toBe(true);
    // the bad drop: only the changed metadata file and the non-image are fetched; the rest is refused unread
    expect(second.summary.centres[1]!.retrieve).toMatchObject({ fetched: 2, new: 1, changed: 1 }); // refused objects count as excluded, not new
    expect(second.summary.release.exclusionsByReason['object:unrecognised-object']).toBe(1);
    const report = new BuiltRelease(fixture.loaded.storageRoot).exclusions();
    const reasonOf = (key: string) => report.filter((e) => e.centre === other.id && e.key === key).map((e) => e.reason);
    expect(reasonOf('fotos/empty.jpg')).toEqual(['empty-object']);
    expect(reasonOf('fotos/Twin.jpg')).toEqual(['case-collision']);
    expect(reasonOf('fotos/twin.jpg')).toEqual(['case-collision']);
    expect(reasonOf('fotos/huge.jpg')).toEqual(['too-large']);
    expect(reasonOf('fotos/not-an-image.jpg')).toEqual(['unsupported-format']);
    expect(report.find((e) => e.centre === other.id && e.reason === 'unknown-diagnosis')?.detail).toContain('=HYPERLINK'); // quoted inside the sentence, never at the start of a cell
    // nothing in the private report starts a cell with a formula character unescaped
    const csv = readFileSync(path.join(fixture.loaded.storageRoot, 'private', 'reports', 'exclusions.csv'), 'utf8');
    expect(csv).not.toMatch(/(^|,)"?[=+\-@]/m);
    // the build went on: every other lesion of that centre is still released
    expect(second.summary.centres[1]!.images.processed).toBeGreaterThan(0);
  });

  it('resumes a centre fetch after the worker is killed midway, fetching no object twice in full', async () => {
    const fixture = await buildFixture('s3-crash', { seed: 22, lesions: 40, to: { bucket: 'drops', prefix: 'crash/', endpoint: server.endpoint, region: server.region } });
    // One object at a time and a short heartbeat timeout, so the crash lands mid-fetch and the retry comes soon.
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.ingest = { ...raw.ingest, fetchesInFlight: 1 };
    raw.temporal.heartbeatTimeoutSeconds = 3;
    writeFileSync(fixture.loaded.file, toYaml(raw));
    const loaded = fixture.reload();
    const centre = loaded.config.centres[0]!.id;
    const progress = path.join(loaded.storageRoot, 'private', 'lake', 'retrieve-progress', centre);

    let worker = startWorkerProcess(loaded.file);
    const build = runBuild(loaded, { embeddedWorker: false });
    await waitFor(() => lines(progress) >= 20, 60_000);
    worker.kill('SIGKILL');
    const stagedBeforeCrash = lines(progress);
    worker = startWorkerProcess(loaded.file);
    try {
      const run = await build;
      const retrieve = run.summary.centres[0]!.retrieve;
      expect(retrieve.attempt).toBeGreaterThan(1);
      expect(stagedBeforeCrash).toBeLessThan(retrieve.objects);
      // every object fetched exactly once over both attempts
      expect(retrieve.fetched).toBe(retrieve.objects);
      // and the staged set is exactly the drop's content
      const inventory = readFileSync(path.join(loaded.storageRoot, 'private', 'lake', 'inventory', centre, 'objects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; sha256: string });
      for (const object of inventory) {
        expect(object.sha256).toBe(createHash('sha256').update(readFileSync(path.join(fixture.dir, centre, object.key))).digest('hex'));
      }
      expect(inventory).toHaveLength(retrieve.objects);
      expect(run.summary.release.lesions).toBe(40);
    } finally {
      worker.kill('SIGTERM');
    }
  }, 360_000);
});

function startWorkerProcess(config: string): ChildProcess {
  return spawn(process.execPath, [path.join(PROJECT, 'scripts', 'milk.mjs'), 'worker', '--config', config], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() },
    stdio: 'ignore',
  });
}

/** Rows recorded in the parts of a lake partition folder. */
function lines(dir: string): number {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .reduce((n, f) => n + readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
  } catch {
    return 0;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
