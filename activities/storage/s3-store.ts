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
      // Name the object, but keep the error itself: its name (NoSuchBucket, AccessDenied) is what fail-fast.ts reads.
      (err as Error).message = `${this.where(key)}: ${(err as Error).message}`;
      throw err;
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

  async delete(key: string): Promise<void> {
    await this.deleteKeys([key]);
  }

  async scratchFile(scope: string): Promise<string> {
    return path.join(os.tmpdir(), `${scratchName('incoming', scope)}${randomBytes(8).toString('hex')}`);
  }

  scratchDir(prefix: string): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), scratchName('tree', prefix)));
  }

  async discardScratch(scope: string): Promise<void> {
    await discardLocalScratch((name) => name.startsWith(`milk-incoming-${tag(scope)}-`) || name.startsWith(`milk-tree-${tag(scope)}-`));
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

const tag = (scope: string) => scope.replace(/[^A-Za-z0-9]+/g, '_');

/** `milk-<kind>-<scope>-<pid>-`: whose scratch it is, so a sweep can tell a crashed process's from a live one's. */
const scratchName = (kind: 'incoming' | 'tree', scope: string) => `milk-${kind}-${tag(scope)}-${process.pid}-`;

/** The pid a scratch name was made by, or undefined for names not made by scratchName. */
function scratchPid(name: string): number | undefined {
  const match = /^milk-(?:incoming|tree)-[A-Za-z0-9_]*-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes this machine's scratch entries (in the temporary folder) that `accept` names and that no
 * live process other than this one made: a crashed worker's partial downloads and half-built trees.
 */
export async function discardLocalScratch(accept: (name: string) => boolean = () => true): Promise<string[]> {
  const names = await readdir(os.tmpdir()).catch(() => []);
  const stale = names.filter((name) => {
    const pid = scratchPid(name);
    return pid !== undefined && accept(name) && (pid === process.pid || !alive(pid));
  });
  for (const name of stale) await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  return stale;
}

/** Every file under a local folder, '/'-separated and relative to it. */
async function localFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/')).sort();
}
