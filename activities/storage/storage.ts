import type { BlobStore } from './blob-store.ts';
import type { StorageLayout } from './layout.ts';

/** What stage logic needs to reach stored objects: the store and where things live in it. */
export interface Storage {
  store: BlobStore;
  layout: StorageLayout;
}
