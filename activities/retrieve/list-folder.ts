import { readdir } from 'node:fs/promises';
import path from 'node:path';

export interface ListedFile {
  /** path inside the drop, '/'-separated */
  key: string;
  absolute: string;
  /** false for symlinks, sockets and the like: they are reported, never followed */
  regular: boolean;
  /** the error code of an entry that cannot be listed or read (ENAMETOOLONG, EACCES, ...): excluded, the rest goes on */
  unreadable?: string;
}

/**
 * Every entry below a centre's folder, sorted by key so batches are the same on every run. A
 * sub-folder that cannot be listed (a path too long for the system, no permission) is one entry
 * with its error code, so one bad folder costs only itself; only the root's failure throws.
 */
export async function listFolder(root: string): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  const key = (absolute: string) => path.relative(root, absolute).split(path.sep).join('/');
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw err;
      files.push({ key: key(dir), absolute: dir, regular: false, unreadable: (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN' });
      return;
    }
    for (const entry of entries) {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute);
      else files.push({ key: key(absolute), absolute, regular: entry.isFile() });
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
