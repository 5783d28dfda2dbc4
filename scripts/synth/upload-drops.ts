import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { s3Client } from '../../activities/storage/s3-client.ts';

export interface S3Target {
  bucket: string;
  /** key prefix, '' or ending in '/' */
  prefix: string;
  endpoint?: string;
  region: string;
}

/** Parses `s3://bucket/some/prefix` into bucket and a '/'-terminated prefix. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`${url} is not an s3://bucket/prefix address`);
  const prefix = match[2]!.replace(/\/*$/, '');
  return { bucket: match[1]!, prefix: prefix ? `${prefix}/` : '' };
}

/**
 * Uploads each centre's generated drop to `s3://bucket/<prefix><centre>/`, creating the bucket if
 * needed. Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID, ...).
 */
export async function uploadDrops(folder: string, centres: readonly string[], target: S3Target): Promise<number> {
  const client = s3Client({ endpoint: target.endpoint, region: target.region, forcePathStyle: target.endpoint !== undefined });
  try {
    await client.send(new HeadBucketCommand({ Bucket: target.bucket })).catch(() => client.send(new CreateBucketCommand({ Bucket: target.bucket })));
    const files = (
      await Promise.all(
        centres.map(async (centre) =>
          (await readdir(path.join(folder, centre), { recursive: true, withFileTypes: true }))
            .filter((e) => e.isFile())
            .map((e) => ({ centre, file: path.join(e.parentPath, e.name) })),
        ),
      )
    ).flat();
    await pMap(
      files,
      async ({ centre, file }) => {
        const key = `${target.prefix}${centre}/${path.relative(path.join(folder, centre), file).split(path.sep).join('/')}`;
        await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: await readFile(file) }));
      },
      { concurrency: 16 },
    );
    return files.length;
  } finally {
    client.destroy();
  }
}
