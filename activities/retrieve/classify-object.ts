import path from 'node:path';
import { IMAGE_EXTENSION, type Dialect } from '../../schemas/dialect.ts';
import type { SourceObject } from '../../schemas/records.ts';

/**
 * What an object of a drop is for: metadata (the dialect's metadata file, or with layout sidecar
 * every file with the sidecar extension), an image, or something unexpected.
 */
export function classifyObject(key: string, dialect: Dialect): SourceObject['kind'] {
  if (isMetadata(key, dialect)) return 'metadata';
  if (IMAGE_EXTENSION.test(key)) return 'image';
  return 'other';
}

function isMetadata(key: string, dialect: Dialect): boolean {
  if (dialect.layout !== 'sidecar') return key === dialect.metadataFile;
  // Case-insensitive like image extensions: exports from Windows tools write `.JSON` as often as `.json`.
  const extension = dialect.sidecarExtension.toLowerCase();
  return key.toLowerCase().endsWith(extension) && path.posix.basename(key).length > extension.length;
}
