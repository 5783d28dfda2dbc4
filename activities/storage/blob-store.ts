/** One stored object: its key under the store's root, its size, and a version that changes whenever its bytes do. */
export interface BlobEntry {
  key: string;
  size: number;
  /** the file's modification time (folder) or the object's ETag (S3) */
  version: string;
}

/**
 * Where stages keep everything they share, by '/'-separated key: a local folder or an S3 prefix
 * (folder-store.ts, s3-store.ts). Every write is atomic: a reader, or a retried attempt, sees the
 * whole old object or the whole new one, never a part. Tools that need a path (DuckDB, sharp, the
 * leak scan) work on local scratch copies (`localFolder`, `scratchDir`).
 */
export interface BlobStore {
  /** the root, as a user would type it: a folder path or `s3://bucket/prefix` */
  readonly location: string;
  /** a key as a user can find it: a path, or an s3:// URL */
  where(key: string): string;
  /** the object's bytes; undefined when there is no such object */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, data: Uint8Array | string): Promise<void>;
  /** moves a local file (from `scratchFile`) to the key, removing the local file */
  putFile(file: string, key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** every object under the prefix (a key prefix ending in '/', or '' for all), sorted by key */
  list(prefix: string): Promise<BlobEntry[]>;
  /** removes every object under the prefix */
  deletePrefix(prefix: string): Promise<void>;
  /** removes one object (none there is no error) */
  delete(key: string): Promise<void>;
  /**
   * A fresh local path for a file that `putFile` will move in (beside the store for a folder, so the
   * move is a rename), tagged with `scope` (e.g. the centre whose raw object it will hold).
   */
  scratchFile(scope: string): Promise<string>;
  /** a fresh, empty local folder from which `replaceFolder` will take a whole tree under `prefix` */
  scratchDir(prefix: string): Promise<string>;
  /**
   * Removes what a crashed attempt left in scratch for `scope` (a centre's raw partial downloads, a
   * release folder's half-built copies): the caller is the scope's only writer, so none is in use.
   */
  discardScratch(scope: string): Promise<void>;
  /**
   * Makes the tree under `prefix` exactly the local folder's files, then removes the local folder:
   * a rename swap for a folder; for S3, every file put, then the keys it no longer has deleted.
   */
  replaceFolder(dir: string, prefix: string): Promise<void>;
  /**
   * The tree under `prefix` as a local folder (the folder itself, or a scratch copy of the files
   * whose paths under the prefix `only` accepts), and how to let go of it.
   */
  localFolder(prefix: string, only?: (file: string) => boolean): Promise<LocalFolder>;
}

export interface LocalFolder {
  dir: string;
  /** removes a scratch copy (a folder store's own folder stays) */
  release(): Promise<void>;
}

/** The bytes of an object that must exist; the error (code ENOENT) names where it was looked for. */
export async function getRequired(store: BlobStore, key: string): Promise<Buffer> {
  const bytes = await store.get(key);
  if (bytes === undefined) throw Object.assign(new Error(`'${store.where(key)}' does not exist`), { code: 'ENOENT' });
  return bytes;
}

/** The text of an object that must exist. */
export async function getText(store: BlobStore, key: string): Promise<string> {
  return (await getRequired(store, key)).toString('utf8');
}
