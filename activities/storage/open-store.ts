import type { LoadedConfig, StorageLocation } from '../../schemas/config.ts';
import type { BlobStore } from './blob-store.ts';
import { FolderStore } from './folder-store.ts';
import { StorageLayout } from './layout.ts';
import { s3ClientFor } from './s3-client.ts';
import { S3Store } from './s3-store.ts';
import type { Storage } from './storage.ts';

/** The store of a configured storage root. */
export function openBlobStore(location: StorageLocation): BlobStore {
  return location.kind === 'folder' ? new FolderStore(location.root) : new S3Store(s3ClientFor(location), location.bucket, location.prefix);
}

/** The store and layout of a loaded config: what the CLI reads the catalog, lake and release through. */
export function openStorage(loaded: Pick<LoadedConfig, 'storage' | 'config'>): Storage {
  return { store: openBlobStore(loaded.storage), layout: new StorageLayout(loaded.config.release.dir) };
}
