import { FolderStore } from '../../activities/storage/folder-store.ts';
import { StorageLayout } from '../../activities/storage/layout.ts';
import type { Storage } from '../../activities/storage/storage.ts';

/** A folder storage root, as a config with `storage.root: <root>` gives it. */
export function folderStorage(root: string, releaseDir = 'release'): Storage {
  return { store: new FolderStore(root), layout: new StorageLayout(releaseDir) };
}

/** Where a key of a folder storage root is on disk. */
export function fileOf(storage: Storage, key: string): string {
  return storage.store.where(key);
}
