import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pMap from 'p-map';
import semver from 'semver';
import { z } from 'zod';
import { ReleaseInfo, ReleaseVersion } from '../../schemas/catalog.ts';
import type { PublishTarget } from '../../schemas/config.ts';
import { s3ClientFor } from '../storage/s3-client.ts';
import { MANIFEST, OUTSIDE_MANIFEST } from './manifest.ts';
import { RELEASE_INFO_FILE } from './versions/release-version.ts';

/** Files above this size go up in parts of this size (S3's minimum part is 5 MiB). */
export const PART_SIZE = 8 * 1024 * 1024;
/** Files uploaded at once; each multipart file also has up to PARTS_IN_FLIGHT parts in flight (memory: files × parts × PART_SIZE). */
const FILES_IN_FLIGHT = 4;
const PARTS_IN_FLIGHT = 2;
/** Object metadata key holding the hex sha256 of the whole file (x-amz-meta-sha256). */
const SHA256_METADATA = 'sha256';

/** What publishing reads from RELEASE.json; the name becomes part of object keys. */
const PublishedRelease = ReleaseInfo.pick({ name: true, version: true, contentHash: true }).extend({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"'),
});
type PublishedRelease = z.infer<typeof PublishedRelease>;

/** `<prefix><name>-latest.json`: the newest published version of a release, written after its manifest. */
export const LatestPointer = z.object({ version: ReleaseVersion, contentHash: z.string(), manifest: z.string() });
export type LatestPointer = z.infer<typeof LatestPointer>;

export interface PublishProgress {
  files: number;
  filesDone: number;
  bytes: number;
  bytesDone: number;
}

export interface PublishOptions {
  releaseDir: string;
  target: PublishTarget;
  /** default: a client for the target (credentials from the env names it gives, else the AWS standard chain) */
  client?: S3Client;
  onProgress?: (progress: PublishProgress) => void;
  /** stops the upload: in-flight multipart uploads are aborted and the manifest is not written */
  signal?: AbortSignal;
}

export interface PublishResult {
  /** `already-published`: the target already held this version's manifest with the same content; nothing was uploaded */
  outcome: 'published' | 'already-published';
  name: string;
  version: string;
  /** s3://bucket/prefix/<name>-<version>/ */
  location: string;
  manifestKey: string;
  /** files of the release, the manifest included */
  files: number;
  uploaded: number;
  /** already there with the same size and sha256 (a resumed publish) */
  skipped: number;
  /** bytes uploaded */
  bytes: number;
  multipartFiles: number;
  /** `kept-newer`: the pointer names a newer version, and is left to it */
  pointer: 'updated' | 'unchanged' | 'kept-newer';
}

/** A release file with what its object must show: size, sha256 and the S3 SHA-256 checksum of how it is uploaded. */
interface LocalFile {
  relativePath: string;
  file: string;
  size: number;
  sha256: string;
  /** base64 SHA-256 of the whole file, or for a multipart upload the composite `base64(sha256(part digests))-<parts>` S3 reports */
  checksum: string;
}

/**
 * Publishes a release folder to `s3://<bucket>/<prefix><name>-<version>/` so that a reader never sees
 * half a release: the folder is first verified against its MANIFEST.sha256; then every file goes up
 * (in parallel, multipart above PART_SIZE, with an S3 SHA-256 checksum the store verifies on receipt,
 * and the file's sha256 in object metadata), each checked afterwards by HeadObject (size, sha256
 * metadata, checksum); MANIFEST.sha256 goes up only after all of them, with If-None-Match so a
 * version is written once; then `<prefix><name>-latest.json`. Objects already there with the same
 * size and sha256 are skipped, so an interrupted publish resumes. A published version is immutable:
 * the same manifest again is a no-op, a different one is refused.
 */
export async function publishRelease(options: PublishOptions): Promise<PublishResult> {
  const { releaseDir, target, signal } = options;
  const info = await readReleaseInfo(releaseDir);
  const manifestText = await readFile(path.join(releaseDir, MANIFEST), 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`${path.join(releaseDir, MANIFEST)}: cannot read the manifest (${err.code ?? err.message})`);
  });
  const files = await verifiedReleaseFiles(releaseDir, manifestText, signal);
  const manifest = await describeFile(releaseDir, MANIFEST);

  const client = options.client ?? s3ClientFor(target);
  try {
    const bucket = new Bucket(client, target.bucket, signal);
    const versionPrefix = `${target.prefix}${info.name}-${info.version}/`;
    const manifestKey = `${versionPrefix}${MANIFEST}`;
    const result: PublishResult = {
      outcome: 'published', name: info.name, version: info.version, location: `s3://${target.bucket}/${versionPrefix}`, manifestKey,
      files: files.length + 1, uploaded: 0, skipped: 0, bytes: 0, multipartFiles: 0, pointer: 'unchanged',
    };
    const pointer = async () => updatePointer(bucket, `${target.prefix}${info.name}-latest.json`, { version: info.version, contentHash: info.contentHash, manifest: manifestKey });

    if (await isPublished(bucket, manifestKey, manifestText)) {
      // An earlier publish may have stopped between the manifest and the pointer: repair the pointer.
      return { ...result, outcome: 'already-published', skipped: result.files, pointer: await pointer() };
    }
    const progress: PublishProgress = { files: result.files, filesDone: 0, bytes: files.reduce((n, f) => n + f.size, manifest.size), bytesDone: 0 };
    const count = (file: LocalFile, outcome: 'uploaded' | 'skipped') => {
      result[outcome]++;
      if (outcome === 'uploaded') result.bytes += file.size;
      if (outcome === 'uploaded' && file.size > PART_SIZE) result.multipartFiles++;
      progress.filesDone++;
      progress.bytesDone += file.size;
      options.onProgress?.({ ...progress });
    };
    await pMap(files, async (file) => count(file, await bucket.putFile(`${versionPrefix}${file.relativePath}`, file)), { concurrency: FILES_IN_FLIGHT, signal });
    // Last, and only if no one wrote this version meanwhile: the manifest makes the version visible.
    try {
      count(manifest, await bucket.putFile(manifestKey, manifest, { ifAbsent: true }));
    } catch (err) {
      if (!(err instanceof KeyTaken)) throw err;
      // Another publish of this version won the race: fine if it published the same content.
      if (!(await isPublished(bucket, manifestKey, manifestText))) throw immutableError(manifestKey, target.bucket);
      return { ...result, outcome: 'already-published', pointer: await pointer() };
    }
    return { ...result, pointer: await pointer() };
  } finally {
    if (!options.client) client.destroy();
  }
}

async function readReleaseInfo(releaseDir: string): Promise<PublishedRelease> {
  const file = path.join(releaseDir, RELEASE_INFO_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the release's name and version (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parsed = PublishedRelease.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The release's files: every file MANIFEST.sha256 lists, each hashed and compared with its line
 * (refused, naming the file, when it differs or is missing), plus the files kept outside the
 * manifest on purpose (the DuckDB index) when present. Files the manifest does not list are not
 * part of the release and are not published.
 */
async function verifiedReleaseFiles(releaseDir: string, manifestText: string, signal?: AbortSignal): Promise<LocalFile[]> {
  const listed = parseManifest(manifestText, path.join(releaseDir, MANIFEST));
  const verified = await pMap(
    listed,
    async ({ sha256, relativePath }) => {
      const file = await describeFile(releaseDir, relativePath).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`release ${releaseDir}: ${relativePath} is listed in ${MANIFEST} but cannot be read (${err.code ?? err.message})`);
      });
      if (file.sha256 !== sha256) throw new Error(`release ${releaseDir}: ${relativePath} differs from ${MANIFEST} (sha256 ${file.sha256}, listed ${sha256}); rebuild the release before publishing`);
      return file;
    },
    { concurrency: FILES_IN_FLIGHT, signal },
  );
  const outside = [...OUTSIDE_MANIFEST].filter((f) => f !== MANIFEST);
  const present = await pMap(outside, async (f) => (await access(path.join(releaseDir, f)).then(() => true, () => false)) ? describeFile(releaseDir, f) : undefined);
  return [...verified, ...present.filter((f): f is LocalFile => f !== undefined)];
}

/** `sha256sum` lines: `<64 hex>  <path>`; a path may not leave the folder. */
function parseManifest(text: string, where: string): { sha256: string; relativePath: string }[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      const relativePath = match?.[2];
      if (!match || !relativePath || path.posix.isAbsolute(relativePath) || relativePath.split('/').some((part) => part === '..' || part === '' || part === '.')) {
        throw new Error(`${where} line ${number}: not a "<sha256>  <relative path>" line`);
      }
      return { sha256: match[1]!, relativePath };
    });
}

/** Size, sha256 and S3 checksum of one file, in one read: the part digests of a multipart upload come from the same pass. */
async function describeFile(releaseDir: string, relativePath: string): Promise<LocalFile> {
  const file = path.join(releaseDir, ...relativePath.split('/'));
  const whole = createHash('sha256');
  const partDigests: Buffer[] = [];
  let part = createHash('sha256');
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    size += chunk.length;
    for (let offset = 0; offset < chunk.length; ) {
      const take = Math.min(PART_SIZE - inPart, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      offset += take;
      inPart += take;
      if (inPart === PART_SIZE) {
        partDigests.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (inPart > 0) partDigests.push(part.digest());
  const digest = whole.digest();
  const checksum = size > PART_SIZE ? `${createHash('sha256').update(Buffer.concat(partDigests)).digest('base64')}-${partDigests.length}` : digest.toString('base64');
  return { relativePath, file, size, sha256: digest.toString('hex'), checksum };
}

/** Why an object is not the local file, or undefined when it is. A store that reports no checksum is judged by size and sha256 metadata. */
function mismatch(head: HeadObjectCommandOutput, file: LocalFile): string | undefined {
  if (head.ContentLength !== file.size) return `size is ${head.ContentLength} bytes, expected ${file.size}`;
  const sha256 = head.Metadata?.[SHA256_METADATA];
  if (sha256 !== file.sha256) return `sha256 metadata is ${sha256 ?? 'absent'}, expected ${file.sha256}`;
  if (head.ChecksumSHA256 !== undefined && head.ChecksumSHA256 !== file.checksum) return `SHA-256 checksum is ${head.ChecksumSHA256}, expected ${file.checksum}`;
  return undefined;
}

/** Thrown by Bucket.putFile with `ifAbsent` when another object already has the key. */
class KeyTaken extends Error {}

/** The S3 calls of a publish, on one bucket, each naming s3://bucket/key when it fails. */
class Bucket {
  constructor(
    private readonly client: S3Client,
    readonly name: string,
    private readonly signal?: AbortSignal,
  ) {}

  private get options() {
    return this.signal ? { abortSignal: this.signal } : {};
  }

  async head(key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key, ChecksumMode: 'ENABLED' }), this.options);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw this.failure(err, key, 'HeadObject');
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }), this.options);
      return await response.Body!.transformToString('utf8');
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw this.failure(err, key, 'GetObject');
    }
  }

  async putText(key: string, text: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: text, ContentType: 'application/json', ChecksumAlgorithm: 'SHA256' }), this.options);
    } catch (err) {
      throw this.failure(err, key, 'PutObject');
    }
  }

  /** The abort reason when the publish was stopped, else an error naming the object and the call. */
  private failure(err: unknown, key: string, what: string): unknown {
    if (this.signal?.aborted) return this.signal.reason;
    return new Error(`s3://${this.name}/${key}: ${what} failed: ${(err as Error).message}`, { cause: err });
  }

  /**
   * Uploads a file unless the object is already it, then checks the object. `ifAbsent`: write only
   * if no object has the key (If-None-Match: *), else throw KeyTaken.
   */
  async putFile(key: string, file: LocalFile, { ifAbsent = false } = {}): Promise<'uploaded' | 'skipped'> {
    const existing = await this.head(key);
    if (existing && mismatch(existing, file) === undefined) return 'skipped';
    if (existing && ifAbsent) throw new KeyTaken(key);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.name, Key: key, Body: createReadStream(file.file), ContentLength: file.size,
        ChecksumAlgorithm: 'SHA256', Metadata: { [SHA256_METADATA]: file.sha256 },
        ...(ifAbsent ? { IfNoneMatch: '*' } : {}),
      },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
    });
    const abort = () => void upload.abort();
    this.signal?.addEventListener('abort', abort, { once: true });
    try {
      this.signal?.throwIfAborted();
      await upload.done();
    } catch (err) {
      if (ifAbsent && isStatus(err, 412)) throw new KeyTaken(key);
      throw this.failure(err, key, `upload of ${file.relativePath}`);
    } finally {
      this.signal?.removeEventListener('abort', abort);
    }
    const written = await this.head(key);
    const problem = written ? mismatch(written, file) : 'absent right after its upload';
    if (problem) throw new Error(`s3://${this.name}/${key}: ${problem} (upload of ${file.relativePath})`);
    return 'uploaded';
  }
}

/** Whether the version's manifest is there: false when absent, true when identical, refused when different. */
async function isPublished(bucket: Bucket, manifestKey: string, manifestText: string): Promise<boolean> {
  const published = await bucket.getText(manifestKey);
  if (published === undefined) return false;
  if (published !== manifestText) throw immutableError(manifestKey, bucket.name);
  return true;
}

function immutableError(manifestKey: string, bucket: string): Error {
  return new Error(`s3://${bucket}/${manifestKey} already publishes different content under this version: a published version is immutable, publish the release under a new version`);
}

/** Points `<name>-latest.json` at this version, unless it already does or names a newer one. */
async function updatePointer(bucket: Bucket, key: string, pointer: LatestPointer): Promise<PublishResult['pointer']> {
  const current = parsePointer(await bucket.getText(key));
  if (current && semver.gt(current.version, pointer.version)) return 'kept-newer';
  if (current && JSON.stringify(current) === JSON.stringify(pointer)) return 'unchanged';
  await bucket.putText(key, `${JSON.stringify(pointer, null, 2)}\n`);
  return 'updated';
}

/** The pointer there, or undefined when absent or unreadable (it is then rewritten). */
function parsePointer(text: string | undefined): LatestPointer | undefined {
  if (text === undefined) return undefined;
  try {
    return LatestPointer.safeParse(JSON.parse(text)).data;
  } catch {
    return undefined;
  }
}

function isStatus(err: unknown, status: number): boolean {
  return err instanceof S3ServiceException && err.$metadata.httpStatusCode === status;
}
