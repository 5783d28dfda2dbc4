import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pMap from 'p-map';
import type { BlobEntry, BlobStore, LocalFolder } from './blob-store.ts';

const TRANSFERS_IN_FLIGHT = 8;

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/**
 * A BlobStore under an S3 prefix (AWS or any S3-compatible store). A PUT is atomic by S3's own
 * semantics (an object is never visible half-written), so no temporary keys are needed. Scratch
 * files and folders live in the machine's temporary folder, each worker its own.
 */
export class S3Store implements BlobStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    /** '' or ending in '/' */
    readonly prefix: string,
  ) {}

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  where(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw new Error(`${this.where(key)}: ${(err as Error).message}`, { cause: err });
    }
  }

  async put(key: string, data: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: typeof data === 'string' ? Buffer.from(data) : data }));
  }

  async putFile(file: string, key: string): Promise<void> {
    try {
      await this.putStream(file, key);
    } finally {
      await rm(file, { force: true });
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<BlobEntry[]> {
    const entries: BlobEntry[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: this.prefix + prefix })) {
      for (const o of page.Contents ?? []) entries.push({ key: o.Key!.slice(this.prefix.length), size: o.Size ?? 0, version: o.ETag ?? '' });
    }
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = (await this.list(prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`)).map((e) => e.key);
    await this.deleteKeys(keys);
  }

  async scratchFile(): Promise<string> {
    return path.join(os.tmpdir(), `milk-incoming-${randomBytes(8).toString('hex')}`);
  }

  scratchDir(): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), 'milk-tree-'));
  }

  async replaceFolder(dir: string, prefix: string): Promise<void> {
    const base = prefix.replace(/\/$/, '');
    const files = await localFiles(dir);
    await pMap(files, (file) => this.putStream(path.join(dir, ...file.split('/')), `${base}/${file}`), { concurrency: TRANSFERS_IN_FLIGHT });
    const kept = new Set(files.map((f) => `${base}/${f}`));
    await this.deleteKeys((await this.list(`${base}/`)).map((e) => e.key).filter((k) => !kept.has(k)));
    await rm(dir, { recursive: true, force: true });
  }

  async localFolder(prefix: string, only: (file: string) => boolean = () => true): Promise<LocalFolder> {
    const base = `${prefix.replace(/\/$/, '')}/`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'milk-copy-'));
    await pMap(
      (await this.list(base)).filter((e) => only(e.key.slice(base.length))),
      async (entry) => {
        const file = path.join(dir, ...entry.key.slice(base.length).split('/'));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, (await this.get(entry.key))!);
      },
      { concurrency: TRANSFERS_IN_FLIGHT },
    );
    return { dir, release: () => rm(dir, { recursive: true, force: true }) };
  }

  /** lib-storage streams the file, switching to a multipart upload for large ones. */
  private async putStream(file: string, key: string): Promise<void> {
    await new Upload({ client: this.client, params: { Bucket: this.bucket, Key: this.prefix + key, Body: createReadStream(file) } }).done();
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    await pMap(keys, (key) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key })), { concurrency: TRANSFERS_IN_FLIGHT });
  }
}

/** Every file under a local folder, '/'-separated and relative to it. */
async function localFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/')).sort();
}
