import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { streamToFile, type WrittenStream } from '../storage/stream-to-file.ts';

export interface ExpectedObject {
  /** bytes, as listed: a different length is an error */
  size: number;
  /** as listed (with or without quotes): when given, a GetObject answering another ETag is an error (the object changed) */
  etag?: string;
}

export type FetchedObject = WrittenStream;

/**
 * Streams one object into `target`: GetObject → (sha256 + byte count) → a temporary sibling file,
 * then an atomic rename, so `target` is either absent or complete. The hash is computed in the same
 * pipeline (no second read). Throws, naming s3://bucket/key, when the size (announced or streamed)
 * or the ETag differs from `expected`; the temporary file is removed on any failure.
 * The SDK retries the request itself; a stream broken midway is not resumed (retry the call).
 */
export async function fetchObject(
  client: S3Client,
  bucket: string,
  key: string,
  target: string,
  expected: ExpectedObject,
  options: { abortSignal?: AbortSignal } = {},
): Promise<FetchedObject> {
  const where = `s3://${bucket}/${key}`;
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), options.abortSignal ? { abortSignal: options.abortSignal } : {});
  const body = response.Body;
  if (!body) throw new Error(`fetchObject ${where}: GetObject returned no body`);
  const source = body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as WebReadableStream);
  try {
    if (expected.etag !== undefined && response.ETag !== undefined && unquote(response.ETag) !== unquote(expected.etag)) {
      throw new Error(`fetchObject ${where}: ETag is ${response.ETag}, listed as ${expected.etag}: the object changed since it was listed`);
    }
    if (response.ContentLength !== undefined && response.ContentLength !== expected.size) {
      throw new Error(`fetchObject ${where}: size is ${response.ContentLength} bytes, expected ${expected.size}`);
    }
  } catch (err) {
    source.destroy();
    throw err;
  }

  return streamToFile(source, target, expected.size, `fetchObject ${where}`, options.abortSignal);
}

function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

// ---- object keys -------------------------------------------------------------------------------

// Bidirectional formatting controls (a "\u202Egpj.exe" displays as "exe.jpg").
