import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST, manifestOf } from '../../activities/release/manifest.ts';
import { PART_SIZE, publishRelease, type PublishProgress } from '../../activities/release/publish-release.ts';
import { listObjects } from '../../activities/retrieve/s3-listing.ts';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { PublishTarget } from '../../schemas/config.ts';
import { startS3Server, type S3Server } from '../../scripts/s3-server.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');

const BUCKET = 'milk-releases';
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const BIG = 'tables/images.parquet';

/** A small release folder as the release writer leaves it: RELEASE.json, files, a >PART_SIZE table, the DuckDB index, the manifest. */
function writeReleaseFolder(dir: string, metadataCsv = 'lesion_id,attribution\nIL_0000001,Test Centre\n'): string {
  const file = (relative: string, data: Uint8Array | string) => {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), data);
  };
  file('MILK10k_Training_Metadata.csv', metadataCsv);
  for (let i = 1; i <= 6; i++) file(`MILK10k_Training_Input/IL_000000${i}/ISIC_000000${i}.jpg`, randomBytes(20_000 + i));
  file('tables/lesions.parquet', randomBytes(3_000));
  file(BIG, randomBytes(PART_SIZE + 2_500_000));
  file('milk10k.duckdb', randomBytes(4_096));
  return dir;
}

async function finishRelease(dir: string, version: string): Promise<string> {
  writeFileSync(path.join(dir, 'RELEASE.json'), JSON.stringify({ name: 'MILK10k', version, contentHash: sha256(`content of ${version}`) }));
  writeFileSync(path.join(dir, MANIFEST), await manifestOf(dir));
  return dir;
}

describe('publishRelease to a real SeaweedFS server', () => {
  let tmp: string;
  let server: S3Server;
  let client: S3Client;
  let release: string;
  const target = (prefix: string) => PublishTarget.parse({ bucket: BUCKET, prefix, endpoint: server.endpoint, region: server.region, forcePathStyle: true });
  const keysUnder = async (prefix: string) => {
    const keys = new Map<string, number>();
    for await (const o of listObjects(client, BUCKET, prefix)) keys.set(o.key, o.size);
    return keys;
  };
  const objectText = async (key: string) => (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
  const manifestFiles = (dir: string) => readFileSync(path.join(dir, MANIFEST), 'utf8').trim().split('\n').map((line) => line.slice(66));

  /** A reader that polls for the version's manifest and, the moment it sees it, lists what else is there. */
  function manifestWatcher(versionPrefix: string) {
    let stopped = false;
    let pollsBefore = 0;
    let listedAtManifest: Map<string, number> | undefined;
    const watching = (async () => {
      while (!stopped) {
        const found = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${versionPrefix}${MANIFEST}` })).then(() => true, () => false);
        if (found) {
          listedAtManifest = await keysUnder(versionPrefix);
          return;
        }
        pollsBefore++;
      }
    })();
    return {
      async stop() {
        stopped = true;
        await watching;
        return { pollsBefore, listedAtManifest };
      },
    };
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'milk-publish-test-'));
    server = await startS3Server({ dir: path.join(tmp, 'server') });
    client = s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    release = await finishRelease(writeReleaseFolder(path.join(tmp, 'release')), '1.2.0');
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('uploads every file with its sha256, the large one in parts, and the manifest only once every file is there', async () => {
    const watcher = manifestWatcher('full/MILK10k-1.2.0/');
    const progress: PublishProgress[] = [];
    const result = await publishRelease({ releaseDir: release, target: target('full/'), client, onProgress: (p) => progress.push(p) });
    const { pollsBefore, listedAtManifest } = await watcher.stop();

    const files = [...manifestFiles(release), 'milk10k.duckdb'];
    expect(result).toMatchObject({ outcome: 'published', location: `s3://${BUCKET}/full/MILK10k-1.2.0/`, files: files.length + 1, uploaded: files.length + 1, skipped: 0, multipartFiles: 1, pointer: 'updated' });
    expect(progress.at(-1)).toMatchObject({ filesDone: files.length + 1, files: files.length + 1 });
    expect(result.bytes).toBe(progress.at(-1)!.bytes);
    for (const file of [...files, MANIFEST]) {
      const body = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `full/MILK10k-1.2.0/${file}` }))).Body!.transformToByteArray();
      expect(sha256(body), file).toBe(sha256(readFileSync(path.join(release, file))));
    }
    // the big file went up in two parts: S3 reports a composite checksum over two part checksums
    const big = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `full/MILK10k-1.2.0/${BIG}`, ChecksumMode: 'ENABLED' }));
    expect(big.ChecksumSHA256).toMatch(/-2$/);
    expect(big.Metadata?.sha256).toBe(sha256(readFileSync(path.join(release, BIG))));
    // the reader polled while files went up, and when the manifest appeared every file was complete
    expect(pollsBefore).toBeGreaterThan(0);
    for (const file of files) expect(listedAtManifest?.get(file), file).toBe(readFileSync(path.join(release, file)).length);
    expect(JSON.parse(await objectText('full/MILK10k-latest.json'))).toEqual({
      version: '1.2.0',
      contentHash: sha256('content of 1.2.0'),
      manifest: `full/MILK10k-1.2.0/${MANIFEST}`,
    });
  });

  it('an interrupted publish leaves no manifest and no open multipart upload; a re-run resumes and replaces a wrong object', async () => {
    const controller = new AbortController();
    const interrupted = publishRelease({ releaseDir: release, target: target('resume/'), client, signal: controller.signal, onProgress: (p) => p.filesDone >= 3 && controller.abort(new Error('stopped by the test')) });
    await expect(interrupted).rejects.toThrow('stopped by the test');
    await new Promise((resolve) => setTimeout(resolve, 300)); // aborted requests settle on the server
    const partial = await keysUnder('resume/MILK10k-1.2.0/');
    expect(partial.has(MANIFEST)).toBe(false);
    expect(partial.size).toBeGreaterThanOrEqual(3);
    expect(partial.size).toBeLessThan(manifestFiles(release).length + 1);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'resume/' }))).Uploads ?? []).toEqual([]);
    expect(await keysUnder('resume/MILK10k-latest.json')).toEqual(new Map());

    // one of the uploaded objects is damaged meanwhile (same size, other bytes, no sha256): it must not count as done
    const damaged = [...partial.keys()][0]!;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `resume/MILK10k-1.2.0/${damaged}`, Body: randomBytes(partial.get(damaged)!) }));

    const resumed = await publishRelease({ releaseDir: release, target: target('resume/'), client });
    expect(resumed.outcome).toBe('published');
    expect(resumed.skipped).toBe(partial.size - 1);
    expect(resumed.uploaded).toBe(resumed.files - partial.size + 1);
    const repaired = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `resume/MILK10k-1.2.0/${damaged}` }));
    expect(sha256(await repaired.Body!.transformToByteArray())).toBe(sha256(readFileSync(path.join(release, damaged))));
    expect(await objectText(`resume/MILK10k-1.2.0/${MANIFEST}`)).toBe(readFileSync(path.join(release, MANIFEST), 'utf8'));
  });

  it('a published version is immutable: the same content again is a no-op, different content is refused', async () => {
    await publishRelease({ releaseDir: release, target: target('immutable/'), client });
    const again = await publishRelease({ releaseDir: release, target: target('immutable/'), client });
    expect(again).toMatchObject({ outcome: 'already-published', uploaded: 0, bytes: 0, pointer: 'unchanged' });

    const changed = path.join(tmp, 'changed');
    cpSync(release, changed, { recursive: true });
    writeFileSync(path.join(changed, 'MILK10k_Training_Metadata.csv'), 'lesion_id,attribution\nIL_0000001,Corrected Centre\n');
    await finishRelease(changed, '1.2.0');
    await expect(publishRelease({ releaseDir: changed, target: target('immutable/'), client })).rejects.toThrow(
      `s3://${BUCKET}/immutable/MILK10k-1.2.0/${MANIFEST} already publishes different content under this version`,
    );
    expect(await objectText(`immutable/MILK10k-1.2.0/${MANIFEST}`)).toBe(readFileSync(path.join(release, MANIFEST), 'utf8'));
    expect(await objectText('immutable/MILK10k-1.2.0/MILK10k_Training_Metadata.csv')).toContain('Test Centre');

    // under a new version it goes up, and the pointer follows; republishing the older one leaves the pointer alone
    await finishRelease(changed, '1.3.0');
    const next = await publishRelease({ releaseDir: changed, target: target('immutable/'), client });
    expect(next).toMatchObject({ outcome: 'published', version: '1.3.0', pointer: 'updated' });
    expect(await publishRelease({ releaseDir: release, target: target('immutable/'), client })).toMatchObject({ outcome: 'already-published', pointer: 'kept-newer' });
    expect(JSON.parse(await objectText('immutable/MILK10k-latest.json'))).toMatchObject({ version: '1.3.0' });
  });

  it('refuses a folder that no longer matches its manifest, naming the file, before uploading anything', async () => {
    const edited = path.join(tmp, 'edited');
    cpSync(release, edited, { recursive: true });
    writeFileSync(path.join(edited, 'MILK10k_Training_Input/IL_0000002/ISIC_0000002.jpg'), randomBytes(10));
    await expect(publishRelease({ releaseDir: edited, target: target('edited/'), client })).rejects.toThrow(
      /MILK10k_Training_Input\/IL_0000002\/ISIC_0000002\.jpg differs from MANIFEST\.sha256/,
    );
    cpSync(path.join(release, 'MILK10k_Training_Input/IL_0000002/ISIC_0000002.jpg'), path.join(edited, 'MILK10k_Training_Input/IL_0000002/ISIC_0000002.jpg'));
    rmSync(path.join(edited, 'tables/lesions.parquet'));
    await expect(publishRelease({ releaseDir: edited, target: target('edited/'), client })).rejects.toThrow(/tables\/lesions\.parquet is listed in MANIFEST\.sha256 but cannot be read \(ENOENT\)/);
    writeFileSync(path.join(edited, 'RELEASE.json'), JSON.stringify({ name: 'MILK10k', version: 'latest', contentHash: sha256('x') }));
    await expect(publishRelease({ releaseDir: edited, target: target('edited/'), client })).rejects.toThrow(/RELEASE\.json: version: a semantic version/);
    expect(await keysUnder('edited/')).toEqual(new Map());
  });

  it('runs as `milk release publish` with the target of temporal.yml and credentials from the variables it names', async () => {
    const root = path.join(tmp, 'cli-root');
    cpSync(release, path.join(root, 'release'), { recursive: true });
    const config = parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8'));
    config.storage = { root };
    config.release.publish = { bucket: BUCKET, prefix: 'cli/', endpoint: server.endpoint, forcePathStyle: true, credentials: { accessKeyIdEnv: 'MILK_PUBLISH_KEY', secretAccessKeyEnv: 'MILK_PUBLISH_SECRET' } };
    const file = path.join(tmp, 'cli.yml');
    writeFileSync(file, toYaml(config));
    const milk = (env: Record<string, string>) =>
      spawnSync(process.execPath, [MILK, 'release', 'publish', '-c', file, '--json'], { encoding: 'utf8', env: { ...process.env, ...env } });

    const missing = milk({});
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('set the environment variables MILK_PUBLISH_KEY and MILK_PUBLISH_SECRET');
    const published = milk({ MILK_PUBLISH_KEY: server.accessKeyId, MILK_PUBLISH_SECRET: server.secretAccessKey });
    expect(published.status, published.stderr).toBe(0);
    expect(JSON.parse(published.stdout)).toMatchObject({ outcome: 'published', location: `s3://${BUCKET}/cli/MILK10k-1.2.0/` });
    expect(await objectText(`cli/MILK10k-1.2.0/${MANIFEST}`)).toBe(readFileSync(path.join(release, MANIFEST), 'utf8'));
  });
});
