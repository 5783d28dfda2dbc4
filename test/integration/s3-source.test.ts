import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchObject } from '../../activities/retrieve/s3-fetch.ts';
import { listObjects, type ListedObject } from '../../activities/retrieve/s3-listing.ts';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { startS3Server, type S3Server } from '../../scripts/s3-server.ts';

const BUCKET = 'centre-drops';
const PREFIX = 'centre-a/2026-01/';
const OBJECTS = 1_050;

async function collect(iterable: AsyncIterable<ListedObject>): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('S3 source on a real SeaweedFS server', () => {
  let dir: string;
  let server: S3Server;
  let client: S3Client;
  const small = new Map<string, Buffer>();
  const big = randomBytes(1024 * 1024 + 123);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-s3-test-'));
    const started = performance.now();
    server = await startS3Server({ dir: path.join(dir, 'server') });
    console.log(`SeaweedFS ready in ${((performance.now() - started) / 1000).toFixed(2)} s at ${server.endpoint}`);
    client = s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));

    for (let i = 0; i < OBJECTS; i++) small.set(`lesion-${String(i % 37).padStart(2, '0')}/img-${String(i).padStart(5, '0')}.jpg`, randomBytes(16 + (i % 64)));
    // keys that need escaping in a URL / XML listing, NFC non-ASCII
    small.set('spaces and + plus/caf\u00e9 (1).jpg', Buffer.from('cafe'));
    small.set('amp&lt;/x.jpg', Buffer.from('amp'));
    const puts: Array<[string, Buffer]> = [...[...small].map(([k, v]): [string, Buffer] => [PREFIX + k, v]), [`${PREFIX}big.bin`, big], ['centre-a/2026-01-other/outside.jpg', Buffer.from('not in the prefix')], ['centre-b/x.jpg', Buffer.from('other centre')]];
    for (let i = 0; i < puts.length; i += 64) {
      await Promise.all(puts.slice(i, i + 64).map(([Key, Body]) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))));
    }
  });

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every object under the prefix exactly once across pages, keys relative to the prefix', async () => {
    const listed = await collect(listObjects(client, BUCKET, PREFIX));
    const keys = listed.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(OBJECTS + 3);
    expect(new Set(keys)).toEqual(new Set([...small.keys(), 'big.bin']));
    for (const object of listed) {
      const expectedSize = object.key === 'big.bin' ? big.length : small.get(object.key)!.length;
      expect(object.size).toBe(expectedSize);
      expect(object.etag).toMatch(/^[0-9a-f]{32}$/);
      expect(object.lastModified).toBeInstanceOf(Date);
    }
    // single-part uploads: the ETag is the MD5 of the content
    const sample = listed.find((o) => o.key === 'spaces and + plus/caf\u00e9 (1).jpg')!;
    expect(sample.etag).toBe(createHash('md5').update('cafe').digest('hex'));
  });

  it('pages with a smaller MaxKeys give the same objects in the same order', async () => {
    const byThousand = (await collect(listObjects(client, BUCKET, PREFIX))).map((o) => o.key);
    const by250 = (await collect(listObjects(client, BUCKET, PREFIX, { maxKeys: 250 }))).map((o) => o.key);
    expect(by250).toEqual(byThousand);
  });

  it('an empty prefix lists the whole bucket with full keys; an unknown prefix lists nothing', async () => {
    const all = (await collect(listObjects(client, BUCKET, ''))).map((o) => o.key);
    expect(all).toContain('centre-b/x.jpg');
    expect(all).toContain(`${PREFIX}big.bin`);
    expect(all.length).toBe(OBJECTS + 3 + 2);
    expect(await collect(listObjects(client, BUCKET, 'no-such-centre/'))).toEqual([]);
  });

  it('fetchObject streams a ~1 MB object into the target with its sha256 and size', async () => {
    const target = path.join(dir, 'staging', 'ab', 'big.bin');
    const [listed] = (await collect(listObjects(client, BUCKET, PREFIX))).filter((o) => o.key === 'big.bin');
    const result = await fetchObject(client, BUCKET, `${PREFIX}big.bin`, target, { size: listed!.size, etag: listed!.etag });
    expect(result).toEqual({ sha256: createHash('sha256').update(big).digest('hex'), size: big.length });
    expect(readFileSync(target).equals(big)).toBe(true);
    expect(readdirSync(path.dirname(target))).toEqual(['big.bin']);
  });

  it('fetchObject throws a clear error, and leaves nothing behind, when the size or ETag is not the listed one', async () => {
    const staging = path.join(dir, 'staging-bad');
    const key = `${PREFIX}big.bin`;
    await expect(fetchObject(client, BUCKET, key, path.join(staging, 'a'), { size: big.length - 1 })).rejects.toThrow(
      new RegExp(`s3://${BUCKET}/${key}: size is ${big.length} bytes, expected ${big.length - 1}`),
    );
    await expect(fetchObject(client, BUCKET, key, path.join(staging, 'b'), { size: big.length + 1 })).rejects.toThrow(`s3://${BUCKET}/${key}`);
    await expect(fetchObject(client, BUCKET, key, path.join(staging, 'c'), { size: big.length, etag: '"0123456789abcdef0123456789abcdef"' })).rejects.toThrow(
      /changed since it was listed/,
    );
    await expect(fetchObject(client, BUCKET, `${PREFIX}missing.jpg`, path.join(staging, 'd'), { size: 1 })).rejects.toThrow();
    expect(existsSync(staging) ? readdirSync(staging, { recursive: true }) : []).toEqual([]);
  });

  it('fetchObject counts the streamed bytes when the store sends no Content-Length', async () => {
    const staging = path.join(dir, 'staging-stub');
    const stub = (chunks: Buffer[]) => ({ send: async () => ({ Body: Readable.from(chunks) }) }) as unknown as S3Client;
    const chunks = [Buffer.from('abc'), Buffer.from('defg')];
    await expect(fetchObject(stub(chunks), 'b', 'k1', path.join(staging, 'k1'), { size: 7 })).resolves.toEqual({ sha256: createHash('sha256').update('abcdefg').digest('hex'), size: 7 });
    await expect(fetchObject(stub(chunks), 'b', 'k2', path.join(staging, 'k2'), { size: 5 })).rejects.toThrow('fetchObject s3://b/k2: more than the expected 5 bytes');
    await expect(fetchObject(stub(chunks), 'b', 'k3', path.join(staging, 'k3'), { size: 9 }, { retryDelayMs: 1 })).rejects.toThrow('fetchObject s3://b/k3: got 7 bytes, expected 9 (after 6 attempts)');
    expect(readdirSync(staging)).toEqual(['k1']);
  });

  it('fetchObject resumes a body cut short with a ranged request for the rest, and hashes the whole', async () => {
    const staging = path.join(dir, 'staging-resume');
    const whole = Buffer.from('0123456789abcdefghij');
    const ranges: (string | undefined)[] = [];
    const cutAfter = (bytes: Buffer, n: number) =>
      new Readable({
        read() {
          this.push(bytes.subarray(0, n));
          this.destroy(new Error('socket hang up'));
        },
      });
    const client = {
      send: async (command: { input: { Range?: string; IfMatch?: string } }) => {
        ranges.push(command.input.Range);
        const from = command.input.Range ? Number(/bytes=(\d+)-/.exec(command.input.Range)![1]) : 0;
        const rest = whole.subarray(from);
        // the first two answers break off after 6 bytes
        return { Body: ranges.length <= 2 ? cutAfter(rest, 6) : Readable.from([rest]), ContentLength: rest.length, ...(from > 0 ? { ContentRange: `bytes ${from}-${whole.length - 1}/${whole.length}` } : {}) };
      },
    } as unknown as S3Client;
    const result = await fetchObject(client, 'b', 'cut', path.join(staging, 'cut'), { size: whole.length, etag: 'e1' }, { retryDelayMs: 1 });
    expect(result).toEqual({ sha256: createHash('sha256').update(whole).digest('hex'), size: whole.length });
    expect(readFileSync(path.join(staging, 'cut')).equals(whole)).toBe(true);
    expect(ranges).toEqual([undefined, 'bytes=6-', 'bytes=12-']);
  });
});
