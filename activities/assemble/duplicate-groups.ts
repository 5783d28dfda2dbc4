import { decodeThumbnail } from '../../schemas/similarity-thumbnail.ts';
import { groupDuplicates } from '../storage/group-duplicates.ts';
import { perceptualHash } from '../storage/perceptual-hash.ts';
import { alignedCorrelation, turnedThumbnail } from './aligned-correlation.ts';
import { findNearDuplicates } from './near-duplicates.ts';

export interface HashedImage {
  /** any stable unique id of the image */
  id: string;
  /** grey thumbnail, base64 (schemas/similarity-thumbnail.ts) */
  similarityThumbnail: string;
  pixelSha256: string;
  /** width / height of the image (the thumbnail is squeezed square; rotations are done in this shape) */
  aspect: number;
}

/** A pair of images that are the same picture: exact (same pixels) or a near copy confirmed by aligned correlation. */
export interface ConfirmedPair {
  /** the smaller id */
  a: string;
  b: string;
  /** smallest pHash distance between the two images' variants (0 for exact) */
  distance: number;
  /** aligned detail correlation (1 for exact) */
  score: number;
  /** whether one is a left–right mirror of the other */
  mirrored: boolean;
}

export interface DuplicateGroup {
  /** member ids, sorted */
  members: string[];
  /** 'exact' when every member has the same decoded pixels */
  kind: 'exact' | 'near';
  /** largest pHash distance of a confirmed pair of the group (0 for exact) */
  maxDistance: number;
  /** lowest aligned correlation of a confirmed pair of the group (1 for exact) */
  minScore: number;
  /** every confirmed pair among the members: they are linked only through these */
  pairs: ConfirmedPair[];
}

export interface DuplicateOptions {
  /** pHash distance up to which two variants are candidates */
  maxDistance: number;
  /** aligned detail correlation from which a candidate is confirmed */
  minScore: number;
}

/**
 * Rotations (degrees) of each thumbnail whose pHash is also searched, with and without a mirror: a
 * pHash moves by 10–20 bits under a 3° rotation and is unrelated under a mirror, so both would
 * otherwise never become candidates.
 */
const VARIANT_ROTATIONS = [0, -3, 3];

/**
 * Exact duplicates (same decoded pixels) and near duplicates, in two steps. Candidates: pairs whose
 * pHashes are within `maxDistance`, searched with multi-index hashing (sub-quadratic) over each
 * image's thumbnail and its mirrored and slightly rotated variants. Confirmation: each candidate's
 * aligned detail correlation (aligned-correlation.ts) must reach `minScore`. Groups are the connected
 * components of confirmed pairs only, so lesions that merely share a composition never chain together.
 */
export function duplicateGroups(images: readonly HashedImage[], options: DuplicateOptions): DuplicateGroup[] {
  const thumbnails = images.map((i) => decodeThumbnail(i.similarityThumbnail));
  const side = Math.round(Math.sqrt(thumbnails[0]?.length ?? 0));
  const variants: { id: string; phash: string }[] = [];
  images.forEach((_, k) => {
    // the variants of one image never pair with each other (same k), only with other images'
    for (const mirrored of [false, true])
      for (const degrees of VARIANT_ROTATIONS) variants.push({ id: `${k}/${mirrored ? 'm' : ''}${degrees}`, phash: perceptualHash(turnedThumbnail(thumbnails[k]!, degrees, mirrored, images[k]!.aspect), side, side) });
  });
  // (image i, image j, mirrored) → smallest distance among their variants
  const candidates = new Map<string, { i: number; j: number; mirrored: boolean; distance: number }>();
  for (const pair of findNearDuplicates(variants, options.maxDistance)) {
    const [a, b] = [pair.a, pair.b].map((id) => ({ k: Number(id.slice(0, id.indexOf('/'))), mirrored: id.includes('/m') }));
    if (a!.k === b!.k) continue;
    const [i, j] = a!.k < b!.k ? [a!.k, b!.k] : [b!.k, a!.k];
    const mirrored = a!.mirrored !== b!.mirrored;
    const key = `${i} ${j} ${mirrored}`;
    const known = candidates.get(key);
    if (!known || pair.distance < known.distance) candidates.set(key, { i, j, mirrored, distance: pair.distance });
  }

  const pairs: ConfirmedPair[] = [];
  const ordered = (x: string, y: string) => (x < y ? [x, y] : [y, x]) as [string, string];
  const exact = new Set<string>();
  const byPixels = new Map<string, number[]>();
  images.forEach((image, k) => byPixels.set(image.pixelSha256, [...(byPixels.get(image.pixelSha256) ?? []), k]));
  for (const ks of byPixels.values())
    for (let n = 1; n < ks.length; n++) {
      const [a, b] = ordered(images[ks[0]!]!.id, images[ks[n]!]!.id);
      pairs.push({ a, b, distance: 0, score: 1, mirrored: false });
      exact.add(`${Math.min(ks[0]!, ks[n]!)} ${Math.max(ks[0]!, ks[n]!)}`);
    }
  const best = new Map<string, ConfirmedPair>();
  for (const { i, j, mirrored, distance } of candidates.values()) {
    if (exact.has(`${i} ${j}`) || images[i]!.pixelSha256 === images[j]!.pixelSha256) continue;
    const { score } = alignedCorrelation(thumbnails[i]!, thumbnails[j]!, mirrored, { enough: options.minScore, aspect: images[i]!.aspect });
    if (score < options.minScore) continue;
    const [a, b] = ordered(images[i]!.id, images[j]!.id);
    const known = best.get(`${i} ${j}`);
    if (!known || score > known.score) best.set(`${i} ${j}`, { a, b, distance, score: round(score), mirrored });
  }
  pairs.push(...best.values());

  const pixels = new Map(images.map((i) => [i.id, i.pixelSha256]));
  const groupOf = new Map<string, number>();
  const groups = groupDuplicates(pairs);
  groups.forEach((members, g) => members.forEach((m) => groupOf.set(m, g)));
  const pairsOf = groups.map(() => [] as ConfirmedPair[]);
  for (const pair of pairs) pairsOf[groupOf.get(pair.a)!]!.push(pair);
  return groups.map((members, g) => {
    const joined = pairsOf[g]!.sort((p, q) => (p.a < q.a ? -1 : p.a > q.a ? 1 : p.b < q.b ? -1 : p.b > q.b ? 1 : 0));
    return {
      members,
      kind: new Set(members.map((m) => pixels.get(m))).size === 1 ? 'exact' : 'near',
      maxDistance: Math.max(...joined.map((p) => p.distance)),
      minScore: Math.min(...joined.map((p) => p.score)),
      pairs: joined,
    };
  });
}

const round = (value: number) => Math.round(value * 1e4) / 1e4;
