import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../activities/storage/blob-store.ts';
import { FolderStore } from '../../activities/storage/folder-store.ts';
import { Lake } from '../../activities/storage/lake.ts';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { S3Store } from '../../activities/storage/s3-store.ts';
import { tables } from '../../activities/storage/tables.ts';
import { startS3Server } from '../../scripts/s3-server.ts';

type S3Server = Awaited<ReturnType<typeof startS3Server>>;
let server: S3Server;
beforeAll(async () => {
  server = await startS3Server({ dir: mkdtempSync(path.join(os.tmpdir(), 'milk-blob-s3-')) });
  const client = s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
  await client.send(new CreateBucketCommand({ Bucket: 'state' }));
  client.destroy();
});
afterAll(async () => server?.stop());

const stores: Record<string, () => BlobStore> = {
  folder: () => new FolderStore(mkdtempSync(path.join(os.tmpdir(), 'milk-blob-'))),
  s3: () => new S3Store(s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server }), 'state', `run-${Math.random().toString(36).slice(2)}/`),
};

/** The same behaviour from both stores: stages meet through this contract, whichever the config chose. */
describe.each(Object.keys(stores))('%s store', (kind) => {
  let store: BlobStore;
  beforeAll(() => {
    store = stores[kind]!();
  });

  it('puts, gets, lists in key order and deletes by prefix; a missing key is undefined', async () => {
    await store.put('private/lake/t/b/2.jsonl', 'two\n');
    await store.put('private/lake/t/a/1.jsonl', Buffer.from('one\n'));
    await store.put('private/lake/u/a/1.jsonl', 'other table\n');
    expect((await store.get('private/lake/t/a/1.jsonl'))?.toString()).toBe('one\n');
    expect(await store.get('private/lake/t/a/missing.jsonl')).toBeUndefined();
    expect(await store.exists('private/lake/t/b/2.jsonl')).toBe(true);
    expect(await store.exists('private/lake/t/b')).toBe(kind === 'folder'); // a folder store has folders; S3 only keys
    expect((await store.list('private/lake/t/')).map((e) => [e.key, e.size])).toEqual([
      ['private/lake/t/a/1.jsonl', 4],
      ['private/lake/t/b/2.jsonl', 4],
    ]);
    expect(await store.list('private/lake/none/')).toEqual([]);
    await store.deletePrefix('private/lake/t/a/');
    expect((await store.list('private/lake/')).map((e) => e.key)).toEqual(['private/lake/t/b/2.jsonl', 'private/lake/u/a/1.jsonl']);
  });

  it('moves a scratch file in, and replaces a folder tree whole, dropping files the new tree lacks', async () => {
    const scratch = await store.scratchFile('vienna');
    writeFileSync(scratch, 'raw bytes');
    await store.putFile(scratch, 'private/staging/ab/abc');
    expect(existsSync(scratch)).toBe(false);
    expect((await store.get('private/staging/ab/abc'))?.toString()).toBe('raw bytes');

    const first = await store.scratchDir('release');
    await mkdir(path.join(first, 'tables'), { recursive: true });
    await writeFile(path.join(first, 'tables', 'images.parquet'), 'v1');
    await writeFile(path.join(first, 'stale.txt'), 'only in v1');
    await store.replaceFolder(first, 'release');
    const second = await store.scratchDir('release');
    await mkdir(path.join(second, 'tables'), { recursive: true });
    await writeFile(path.join(second, 'tables', 'images.parquet'), 'v2');
    await store.replaceFolder(second, 'release');
    expect(existsSync(first) || existsSync(second)).toBe(false);
    expect((await store.list('release/')).map((e) => e.key)).toEqual(['release/tables/images.parquet']);
    expect((await store.get('release/tables/images.parquet'))?.toString()).toBe('v2');

    const local = await store.localFolder('release');
    expect(readFileSync(path.join(local.dir, 'tables', 'images.parquet'), 'utf8')).toBe('v2');
    await local.release();
    // a folder store lends its own folder; an S3 copy is gone once released
    expect(existsSync(local.dir)).toBe(kind === 'folder');
  });

  it('reads lake tables back with their schema, and names the object of a bad row', async () => {
    const lake = new Lake(store);
    const change = { centre: 'vienna', key: 'bilder/a.jpg', change: 'new' as const };
    await lake.writeShard(tables.changes, 'vienna', 'retrieve', [change, { ...change, key: 'bilder/b.jpg' }]);
    await lake.writeShard(tables.changes, 'graz', 'retrieve', [{ ...change, centre: 'graz' }]);
    expect(await lake.read(tables.changes, 'vienna')).toHaveLength(2);
    expect((await lake.read(tables.changes)).map((c) => c.centre)).toEqual(['graz', 'vienna', 'vienna']);
    await store.put('private/lake/changes/vienna/bad.jsonl', '{"centre":"vienna"}\n');
    // the shard by its key (which survives redaction) and line, then where it is in full
    await expect(lake.read(tables.changes, 'vienna')).rejects.toThrow(`lake shard private/lake/changes/vienna/bad.jsonl line 1: `);
    await expect(lake.read(tables.changes, 'vienna')).rejects.toThrow(`('${store.where('private/lake/changes/vienna/bad.jsonl')}')`);
    await store.put('private/lake/changes/vienna/bad.jsonl', 'not json\n');
    await expect(lake.read(tables.changes, 'vienna')).rejects.toThrow('lake shard private/lake/changes/vienna/bad.jsonl line 1 is not JSON');
    await expect(lake.readShard(tables.changes, 'vienna', 'missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

it('an S3 store keeps no scratch files behind after moving them in', async () => {
  const store = stores.s3!();
  const before = readdirSync(os.tmpdir()).filter((f) => f.startsWith('milk-incoming-')).length;
  for (let i = 0; i < 3; i++) {
    const scratch = await store.scratchFile('vienna');
    writeFileSync(scratch, `object ${i}`);
    await store.putFile(scratch, `private/staging/0${i}/x`);
  }
  expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('milk-incoming-')).length).toBe(before);
});
