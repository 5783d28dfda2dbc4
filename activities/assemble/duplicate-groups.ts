import { groupDuplicates } from '../storage/group-duplicates.ts';
import { findNearDuplicates } from './near-duplicates.ts';

export interface HashedImage {
  /** any stable unique id of the image */
  id: string;
  phash: string;
  pixelSha256: string;
}

export interface DuplicateGroup {
  /** member ids, sorted */
  members: string[];
  /** 'exact' when every member has the same decoded pixels */
  kind: 'exact' | 'near';
  /** largest pHash distance found between two members (0 for exact) */
  maxDistance: number;
}

/**
 * Exact duplicates (same decoded pixels) and near duplicates (pHash within `maxDistance`: rescaled,
 * re-encoded, slightly cropped or brightness-shifted copies), found through a multi-index hash
 * search rather than by comparing all pairs, then joined into groups (connected components).
 */
export function duplicateGroups(images: readonly HashedImage[], maxDistance: number): DuplicateGroup[] {
  const pairs = findNearDuplicates(images.map(({ id, phash }) => ({ id, phash })), maxDistance);
  const byPixels = new Map<string, string[]>();
  for (const image of images) byPixels.set(image.pixelSha256, [...(byPixels.get(image.pixelSha256) ?? []), image.id]);
  for (const ids of byPixels.values()) for (let i = 1; i < ids.length; i++) pairs.push({ a: ids[0]!, b: ids[i]!, distance: 0 });

  const pixels = new Map(images.map((i) => [i.id, i.pixelSha256]));
  const distance = new Map<string, number>();
  for (const p of pairs) for (const id of [p.a, p.b]) distance.set(id, Math.max(distance.get(id) ?? 0, p.distance));
  return groupDuplicates(pairs).map((members) => ({
    members,
    kind: new Set(members.map((m) => pixels.get(m))).size === 1 ? 'exact' : 'near',
    maxDistance: Math.max(...members.map((m) => distance.get(m) ?? 0)),
  }));
}
