/**
 * Throughput of retrieving a drop from S3: starts a local SeaweedFS (scripts/s3-server.ts), uploads
 * the files (not timed), then times listing the prefix plus fetching every object (fetchObject:
 * streamed, sha256 while streaming, atomic rename) with 16 fetches in flight into a temp staging
 * folder. Afterwards (not timed) every fetched sha256 is checked against the source file's.
 * MB are 10^6 bytes.
 *
 * Run directly: `npx tsx scripts/bench/s3-bench.ts <dir-or-file>...` (JPEGs found recursively).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { fetchObject } from '../../activities/retrieve/s3-fetch.ts';
import { listObjects } from '../../activities/retrieve/s3-listing.ts';
import { s3Client } from '../../activities/storage/s3-client.ts';
import { startS3Server } from '../s3-server.ts';

export interface S3BenchResult {
  objects: number;
  seconds: number;
  objectsPerSecond: number;
  mbPerSecond: number;
}

const BUCKET = 'bench';
const PREFIX = 'centre/drop/';
const IN_FLIGHT = 16;

export async function benchS3Fetch(files: string[]): Promise<S3BenchResult> {
  if (files.length === 0) throw new Error('benchS3Fetch: no files');
  const work = await mkdtemp(path.join(os.tmpdir(), 'milk-s3-bench-'));
  const server = await startS3Server({ dir: path.join(work, 'server') });
  const client = s3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: server });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // key: <parent folder>/<file name> (the MILK10k layout: <lesion_id>/<isic_id>.jpg), made unique
    const keys = new Map<string, string>();
    for (const [i, file] of files.entries()) {
      let key = `${path.basename(path.dirname(file))}/${path.basename(file)}`;
      if (keys.has(key)) key = `${i}/${key}`;
      keys.set(key, file);
    }
    await pMap(keys, async ([key, file]) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + key, Body: await readFile(file) })), { concurrency: 32 });

    const staging = path.join(work, 'staging');
    const started = performance.now();
    const listed = [];
    for await (const object of listObjects(client, BUCKET, PREFIX)) listed.push(object);
    const fetched = await pMap(
      listed.entries(),
      async ([i, object]) => ({ key: object.key, ...(await fetchObject(client, BUCKET, PREFIX + object.key, path.join(staging, String(i)), { size: object.size, etag: object.etag })) }),
      { concurrency: IN_FLIGHT },
    );
    const seconds = (performance.now() - started) / 1000;

    if (fetched.length !== keys.size) throw new Error(`benchS3Fetch: listed ${fetched.length} objects, uploaded ${keys.size}`);
    for (const { key, sha256 } of fetched) {
      const source = keys.get(key);
      if (!source) throw new Error(`benchS3Fetch: listed an object never uploaded: ${key}`);
      if (createHash('sha256').update(await readFile(source)).digest('hex') !== sha256) throw new Error(`benchS3Fetch: sha256 of ${key} differs from ${source}`);
    }
    const bytes = fetched.reduce((n, f) => n + f.size, 0);
    return { objects: fetched.length, seconds, objectsPerSecond: fetched.length / seconds, mbPerSecond: bytes / 1e6 / seconds };
  } finally {
    client.destroy();
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function jpegsUnder(target: string): Promise<string[]> {
  if (/\.jpe?g$/i.test(target)) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.jpe?g$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = (await Promise.all(process.argv.slice(2).map(jpegsUnder))).flat();
  const result = await benchS3Fetch(files);
  console.log(
    `${result.objects} objects listed + fetched in ${result.seconds.toFixed(2)} s: ${result.objectsPerSecond.toFixed(0)} objects/s, ${result.mbPerSecond.toFixed(1)} MB/s (${IN_FLIGHT} in flight)`,
  );
}
