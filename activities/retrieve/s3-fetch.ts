import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface ExpectedObject {
  /** bytes, as listed: a different length is an error */
  size: number;
  /** as listed (with or without quotes): when given, a GetObject answering another ETag is an error (the object changed) */
  etag?: string;
}

export interface FetchedObject {
  /** hex sha256 of the bytes written to `target` */
  sha256: string;
  size: number;
}

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

  const tmp = `${target}.${randomBytes(6).toString('hex')}.part`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          // Stop early rather than fill the disk with an object far larger than listed.
          if (size > expected.size) throw new Error(`fetchObject ${where}: more than the expected ${expected.size} bytes`);
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(tmp, { flags: 'wx' }),
      options.abortSignal ? { signal: options.abortSignal } : {},
    );
    if (size !== expected.size) throw new Error(`fetchObject ${where}: got ${size} bytes, expected ${expected.size}`);
    await rename(tmp, target);
  } catch (err) {
    source.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}

function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

// ---- object keys -------------------------------------------------------------------------------

// Bidirectional formatting controls (a "\u202Egpj.exe" displays as "exe.jpg").
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// Other invisible or unassigned code points: format (zero-width, BOM, soft hyphen), private use,
// unassigned and noncharacters, line/paragraph separators.
const ODD_CODE_POINTS = /[\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
const MAX_KEY_BYTES = 1024;

/**
 * The key as a relative, '/'-separated staging name, or why it is refused. Staged files are
 * content-addressed (the key is never used as a path), but a key that could name something outside
 * a folder, or displays as something other than what it is, is excluded with this reason.
 * Refused: empty or over 1,024 UTF-8 bytes; control characters (NUL included); lone surrogates;
 * bidi controls and other invisible/unassigned code points; not in Unicode NFC; backslashes;
 * absolute (leading '/', drive letter); empty, '.' or '..' segments (so also a trailing '/').
 */
export function safeStagingName(key: string): string | { rejected: string } {
  const reject = (why: string) => ({ rejected: `object key ${JSON.stringify(key)} ${why}` });
  if (key.length === 0) return reject('is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return reject(`is longer than ${MAX_KEY_BYTES} bytes`);
  if (/\p{Cc}/u.test(key)) return reject('contains a control character');
  if (/\p{Cs}/u.test(key)) return reject('is not well-formed Unicode (lone surrogate)');
  if (BIDI_CONTROLS.test(key)) return reject('contains a bidirectional text control character');
  if (ODD_CODE_POINTS.test(key)) return reject('contains an invisible, private-use or unassigned character');
  if (key.normalize('NFC') !== key) return reject('is not in Unicode normalisation form C');
  if (key.includes('\\')) return reject('contains a backslash');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) return reject('is an absolute path');
  for (const segment of key.split('/')) {
    if (segment === '..') return reject("has a '..' segment");
    if (segment === '.') return reject("has a '.' segment");
    if (segment === '') return reject(key.endsWith('/') ? "ends in '/' (a folder marker, not a file)" : "has an empty segment ('//')");
  }
  return key;
}
