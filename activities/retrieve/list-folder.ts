import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface ListedFile {
  /** path inside the drop, '/'-separated */
  key: string;
  absolute: string;
  /** false for symlinks, sockets and the like: they are reported, never followed */
  regular: boolean;
}

/** Every entry below a centre's folder, sorted by key so batches are the same on every run. */
export async function listFolder(root: string): Promise<ListedFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => {
      const absolute = path.join(entry.parentPath, entry.name);
      return { key: path.relative(root, absolute).split(path.sep).join('/'), absolute, regular: entry.isFile() };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
