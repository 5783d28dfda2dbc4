import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Centre, LoadedConfig, S3Source } from '../../schemas/config.ts';
import { s3ClientFor } from '../storage/s3-client.ts';
import { streamToFile, type WrittenStream } from '../storage/stream-to-file.ts';
import { listFolder } from './list-folder.ts';
import { DefinitiveFetchError, fetchObject } from './s3-fetch.ts';
import { listObjects } from './s3-listing.ts';

/** One object of a centre's drop as its store lists it. */
export interface ListedObject {
  /** path inside the drop, '/'-separated (for S3: relative to the prefix) */
  key: string;
  size: number;
  /** changes when the content changes: S3's ETag; for a folder, size and modification time */
  etag: string;
  /** false for symlinks and other non-files in a folder: reported, never followed */
  regular: boolean;
  /** a folder entry that cannot be listed or read: its error code (never its message, which holds the path) */
  unreadable?: string;
}

/** One object of a folder drop the filesystem refuses for good (ENAMETOOLONG, ELOOP, ...): excluded, the build goes on. */
export class UnreadableObject extends Error {
  constructor(readonly code: string) {
    super(`cannot be read (${code})`);
  }
}

/** Filesystem errors that belong to one object and that no retry fixes. */
const PER_OBJECT_FILE_ERRORS = new Set(['ENAMETOOLONG', 'ELOOP', 'EISDIR', 'ENOTDIR', 'EINVAL', 'EPERM', 'EACCES']);

/** Where a centre delivers: a folder or an S3 bucket/prefix, behind one interface. */
export interface CentreSource {
  /** from the config (never an object key), for messages */
  readonly description: string;
  /** every object, sorted by key */
  list(): Promise<ListedObject[]>;
  /** streams one object into `target`, verifying its size, and returns its sha256 */
  fetch(object: ListedObject, target: string): Promise<WrittenStream>;
}

export function openCentreSource(centre: Centre, loaded: LoadedConfig): CentreSource {
  return centre.source.type === 'folder' ? folderSource(loaded.centreFolder(centre)) : s3Source(centre.source);
}

function folderSource(root: string): CentreSource {
  return {
    description: root,
    async list() {
      return Promise.all(
        (await listFolder(root)).map(async (file): Promise<ListedObject> => {
          if (file.unreadable) return { key: file.key, size: 0, etag: '', regular: false, unreadable: file.unreadable };
          try {
            const info = await stat(file.absolute);
            return { key: file.key, size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}`, regular: file.regular };
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? '';
            if (!PER_OBJECT_FILE_ERRORS.has(code)) throw err;
            return { key: file.key, size: 0, etag: '', regular: false, unreadable: code };
          }
        }),
      );
    },
    fetch: (object, target) => fetchFile(path.join(root, object.key), target, object.size),
  };
}

function s3Source(source: S3Source): CentreSource {
  const client = s3ClientFor(source);
  return {
    description: `s3://${source.bucket}/${source.prefix}`,
    async list() {
      const objects: ListedObject[] = [];
      for await (const o of listObjects(client, source.bucket, source.prefix)) objects.push({ key: o.key, size: o.size, etag: o.etag, regular: true });
      return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    fetch: (object, target) => fetchObject(client, source.bucket, `${source.prefix}${object.key}`, target, { size: object.size, etag: object.etag }),
  };
}

/** Errors of a mounted folder that pass (a flaky network mount, a busy file): read again after a pause. */
const TRANSIENT_FILE_ERRORS = new Set(['EIO', 'EAGAIN', 'EBUSY', 'ETIMEDOUT', 'ESTALE']);
const FILE_ATTEMPTS = 5;

/** One file of a folder drop, read again from the start on a transient error; a file gone since the listing is definitive. */
async function fetchFile(file: string, target: string, size: number): Promise<WrittenStream> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await streamToFile(createReadStream(file), target, size, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOENT') throw new DefinitiveFetchError(`${file}: ${code} (listed, but gone)`);
      if (PER_OBJECT_FILE_ERRORS.has(code)) throw new UnreadableObject(code);
      if (!TRANSIENT_FILE_ERRORS.has(code) || attempt >= FILE_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}
