import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { WrittenStream } from '../storage/stream-to-file.ts';

export interface ExpectedObject {
  /** bytes, as listed: a different length is an error */
  size: number;
  /** as listed (with or without quotes): when given, a GetObject answering another ETag is an error (the object changed) */
  etag?: string;
}

export type FetchedObject = WrittenStream;

export interface FetchOptions {
  abortSignal?: AbortSignal;
  /** GetObject calls per object, the first included (default 6), each resuming where the last broke off */
  attempts?: number;
  /** wait before the second call, doubled for each later one, capped at 10 s (default 500 ms) */
  retryDelayMs?: number;
}

/** The store's definitive answer about an object (gone, forbidden, changed since it was listed): no retry changes it. */
export class DefinitiveFetchError extends Error {}

const DEFINITIVE_STATUS = new Set([403, 404, 412, 416]);
const DEFINITIVE_NAMES = new Set(['NoSuchKey', 'NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'PreconditionFailed']);

/**
 * Streams one object into `target`: GetObject → (sha256 + byte count) → a temporary sibling file,
 * then an atomic rename, so `target` is either absent or complete. The hash is computed in the same
 * pipeline (no second read). A body cut short, a reset or a timeout is resumed with a ranged GetObject
 * (`Range: bytes=<received>-`, `If-Match` the listed ETag) after a backoff; a store that ignores the
 * range is read again from the start. Throws DefinitiveFetchError, naming s3://bucket/key, when the
 * store says the object is gone, forbidden or changed (size or ETag other than listed); any other
 * error once the attempts are spent. The temporary file is removed on any failure.
 */
export async function fetchObject(client: S3Client, bucket: string, key: string, target: string, expected: ExpectedObject, options: FetchOptions = {}): Promise<FetchedObject> {
  const where = `fetchObject s3://${bucket}/${key}`;
  const attempts = options.attempts ?? 6;
  const tmp = `${target}.${randomBytes(6).toString('hex')}.part`;
  await mkdir(path.dirname(target), { recursive: true });
  let hash = createHash('sha256');
  let received = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ...(received > 0 ? { Range: `bytes=${received}-`, ...(expected.etag ? { IfMatch: quoted(expected.etag) } : {}) } : {}) }),
          options.abortSignal ? { abortSignal: options.abortSignal } : {},
        );
        if (received > 0 && response.ContentRange === undefined) {
          // The store ignored the range and sends the whole object: start over.
          hash = createHash('sha256');
          received = 0;
        }
        checkResponse(response, expected, received, where);
        received = await appendBody(response, tmp, hash, received, expected.size, where);
        if (received === expected.size) break;
        throw new Error(`${where}: got ${received} bytes, expected ${expected.size}`);
      } catch (err) {
        if (isDefinitive(err)) throw err instanceof DefinitiveFetchError ? err : new DefinitiveFetchError(`${where}: ${(err as Error).name}: ${(err as Error).message}`);
        // Resume after what is on disk only if it is exactly what was hashed; otherwise start over.
        const counted = (err as { received?: number }).received;
        const onDisk = await stat(tmp).then((s) => s.size, () => 0);
        if (counted !== undefined && counted === onDisk) received = counted;
        else if (counted !== undefined) {
          hash = createHash('sha256');
          received = 0;
        }
        if (attempt >= attempts || options.abortSignal?.aborted) throw err instanceof Error && attempts > 1 ? new Error(`${(err as Error).message} (after ${attempt} attempts)`, { cause: err }) : err;
        await sleep(Math.min(10_000, (options.retryDelayMs ?? 500) * 2 ** (attempt - 1)));
      }
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), size: received };
}

/** A response for another object than the one listed is the store's definitive answer. */
function checkResponse(response: GetObjectCommandOutput, expected: ExpectedObject, from: number, where: string): void {
  if (expected.etag !== undefined && response.ETag !== undefined && unquote(response.ETag) !== unquote(expected.etag)) {
    response.Body && destroyBody(response.Body);
    throw new DefinitiveFetchError(`${where}: ETag is ${response.ETag}, listed as ${expected.etag}: the object changed since it was listed`);
  }
  if (response.ContentLength !== undefined && response.ContentLength !== expected.size - from) {
    response.Body && destroyBody(response.Body);
    throw new DefinitiveFetchError(`${where}: size is ${from + response.ContentLength} bytes, expected ${expected.size}`);
  }
}

/**
 * Appends the response body to the partial file, each chunk written before it is hashed and counted,
 * so after a cut the count is exactly what the file holds; returns the bytes received in all.
 */
async function appendBody(response: GetObjectCommandOutput, file: string, hash: Hash, from: number, expectedSize: number, where: string): Promise<number> {
  const body = response.Body;
  if (!body) throw new Error(`${where}: GetObject returned no body`);
  const source = body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as WebReadableStream);
  const handle = await open(file, from === 0 ? 'w' : 'a');
  let received = from;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (received + chunk.length > expectedSize) throw new DefinitiveFetchError(`${where}: more than the expected ${expectedSize} bytes`);
      await handle.write(chunk);
      hash.update(chunk);
      received += chunk.length;
    }
  } catch (err) {
    source.destroy();
    if (err instanceof DefinitiveFetchError) throw err;
    // What reached the file before the cut is kept and hashed: the next call resumes after it.
    throw Object.assign(new Error(`${where}: the body broke off after ${received} of ${expectedSize} bytes: ${(err as Error).message}`), { received });
  } finally {
    await handle.close();
  }
  return received;
}

function isDefinitive(err: unknown): boolean {
  if (err instanceof DefinitiveFetchError) return true;
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return DEFINITIVE_NAMES.has(e.name ?? '') || DEFINITIVE_STATUS.has(e.$metadata?.httpStatusCode ?? 0);
}

function destroyBody(body: NonNullable<GetObjectCommandOutput['Body']>): void {
  if (body instanceof Readable) body.destroy();
}

const quoted = (etag: string) => `"${unquote(etag)}"`;

function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

// ---- object keys -------------------------------------------------------------------------------

// Bidirectional formatting controls (a "\u202Egpj.exe" displays as "exe.jpg").
