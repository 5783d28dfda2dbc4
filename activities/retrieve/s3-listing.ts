import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  /** the object's key with `prefix` taken off (the full key when the prefix is empty) */
  key: string;
  size: number;
  /** as the store reports it, quotes removed; an MD5 only for single-part, unencrypted uploads */
  etag: string;
  lastModified?: Date;
}

export interface ListObjectsOptions {
  /** keys per ListObjectsV2 page (the store may return fewer; S3 caps it at 1000) */
  maxKeys?: number;
  abortSignal?: AbortSignal;
}

/**
 * Every object under `prefix` in `bucket`, page by page (ListObjectsV2 with ContinuationToken), in
 * the store's order (S3: ascending UTF-8 byte order of keys). No delimiter: "folders" are walked too.
 * Keys come back relative to the prefix; pass a prefix ending in '/' for a folder-like drop.
 */
export async function* listObjects(client: S3Client, bucket: string, prefix: string, options: ListObjectsOptions = {}): AsyncGenerator<ListedObject> {
  const maxKeys = options.maxKeys ?? 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new Error(`listObjects: maxKeys must be a positive integer, got ${maxKeys}`);
  let continuationToken: string | undefined;
  let page = 0;
  do {
    const response = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, MaxKeys: maxKeys, ContinuationToken: continuationToken }),
      options.abortSignal ? { abortSignal: options.abortSignal } : {},
    );
    page++;
    for (const object of response.Contents ?? []) {
      if (object.Key === undefined) continue;
      if (!object.Key.startsWith(prefix)) throw new Error(`listObjects s3://${bucket}/${prefix}: the store returned key ${JSON.stringify(object.Key)} outside the prefix`);
      yield {
        key: object.Key.slice(prefix.length),
        size: object.Size ?? 0,
        etag: (object.ETag ?? '').replace(/^"|"$/g, ''),
        ...(object.LastModified ? { lastModified: object.LastModified } : {}),
      };
    }
    if (response.IsTruncated && !response.NextContinuationToken) {
      throw new Error(`listObjects s3://${bucket}/${prefix}: page ${page} is truncated but has no NextContinuationToken`);
    }
    if (response.IsTruncated && response.NextContinuationToken === continuationToken) {
      throw new Error(`listObjects s3://${bucket}/${prefix}: page ${page} returned the same ContinuationToken again`);
    }
    continuationToken = response.IsTruncated ? response.NextContinuationToken : undefined;
  } while (continuationToken);
}
