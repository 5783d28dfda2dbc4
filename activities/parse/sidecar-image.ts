import path from 'node:path';
import { groupBy } from '../storage/group-by.ts';
import { RowRejection } from './harmonise-row.ts';

/** The drop's image keys by stem (key without extension), to find the image next to a sidecar. */
export function imagesByStem(images: Iterable<string>): Map<string, string[]> {
  return groupBy([...images], withoutExtension);
}

/**
 * Which image a sidecar describes. Its `imageFile` column, when present, names it relative to the
 * sidecar's folder ("next to it"); otherwise it is the image with the sidecar's stem, whatever its
 * image extension. None is a missing image; two (IMG_1.jpg and IMG_1.png) are not guessed between.
 */
export function sidecarImageKey(sidecarKey: string, named: string | undefined, byStem: ReadonlyMap<string, string[]>): string {
  if (named) return path.posix.join(path.posix.dirname(sidecarKey), named.replaceAll('\\', '/'));
  const stem = withoutExtension(sidecarKey);
  const candidates = byStem.get(stem) ?? [];
  if (candidates.length === 0) throw new RowRejection('missing-image', `the drop has no image named ${stem} with an image extension beside this sidecar`);
  if (candidates.length > 1) throw new RowRejection('ambiguous-image', `several images could belong to this sidecar: ${candidates.join(', ')}`);
  return candidates[0]!;
}

function withoutExtension(key: string): string {
  const extension = path.posix.extname(key);
  return extension ? key.slice(0, -extension.length) : key;
}
