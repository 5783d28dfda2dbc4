import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobEntry, BlobStore, LocalFolder } from './blob-store.ts';
import { writeFileAtomic } from './files.ts';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Raw objects on their way into staging, per scope (centre): under private/, never published. */
export const INCOMING = 'private/staging/incoming';

/** A BlobStore in a local (or mounted) folder: keys are relative paths, writes go through a rename. */
export class FolderStore implements BlobStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  where(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<Buffer | undefined> {
    return readFile(this.where(key)).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
  }

  put(key: string, data: Uint8Array | string): Promise<void> {
    return writeFileAtomic(this.where(key), data);
  }

  async putFile(file: string, key: string): Promise<void> {
    const target = this.where(key);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(file, target);
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.where(key)).then(
      () => true,
      () => false,
    );
  }

  async list(prefix: string): Promise<BlobEntry[]> {
    const dir = this.where(prefix.replace(/\/$/, ''));
    const found = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
      if (isMissing(err)) return [];
      throw err;
    });
    const entries = await Promise.all(
      found
        .filter((e) => e.isFile())
        .map(async (e): Promise<BlobEntry> => {
          const file = path.join(e.parentPath, e.name);
          const info = await stat(file);
          return { key: path.relative(this.root, file).split(path.sep).join('/'), size: info.size, version: String(info.mtimeMs) };
        }),
    );
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.where(prefix.replace(/\/$/, '')), { recursive: true, force: true });
  }

  async delete(key: string): Promise<void> {
    await rm(this.where(key), { force: true });
  }

  async scratchFile(scope: string): Promise<string> {
    const dir = this.where(`${INCOMING}/${scope}`);
    await mkdir(dir, { recursive: true });
    return path.join(dir, randomBytes(8).toString('hex'));
  }

  async discardScratch(scope: string): Promise<void> {
    await rm(this.where(`${INCOMING}/${scope}`), { recursive: true, force: true });
    const target = this.where(scope.replace(/\/$/, ''));
    const siblings = await readdir(path.dirname(target)).catch(() => []);
    const stale = siblings.filter((name) => name.startsWith(`${path.basename(target)}.building-`) || name.startsWith(`${path.basename(target)}.previous-`));
    for (const name of stale) await rm(path.join(path.dirname(target), name), { recursive: true, force: true });
  }

  async scratchDir(prefix: string): Promise<string> {
    const target = this.where(prefix.replace(/\/$/, ''));
    await mkdir(path.dirname(target), { recursive: true });
    return mkdtemp(`${target}.building-`);
  }

  async replaceFolder(dir: string, prefix: string): Promise<void> {
    const target = this.where(prefix.replace(/\/$/, ''));
    await mkdir(path.dirname(target), { recursive: true });
    const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
    await rename(target, previous).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
    await rename(dir, target);
    await rm(previous, { recursive: true, force: true });
  }

  async localFolder(prefix: string): Promise<LocalFolder> {
    return { dir: this.where(prefix.replace(/\/$/, '')), release: async () => {} };
  }
}
