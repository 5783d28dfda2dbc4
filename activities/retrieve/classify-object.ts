import type { Dialect } from '../../schemas/dialect.ts';
import type { SourceObject } from '../../schemas/records.ts';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|tiff?)$/i;

/** What an object of a drop is for: the dialect's metadata file, an image, or something unexpected. */
export function classifyObject(key: string, dialect: Dialect): SourceObject['kind'] {
  if (key === dialect.metadataFile) return 'metadata';
  if (IMAGE_EXTENSIONS.test(key)) return 'image';
  return 'other';
}
