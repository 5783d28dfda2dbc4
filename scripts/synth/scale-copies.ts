import { jitterImage, type Mirror } from './jitter-image.ts';
import { Random } from './random.ts';
import type { SourceLesion } from './source-lesion.ts';

/**
 * Copy k's mirroring, k mod 4. The project's pHash shrugs off the crop and colour jitter (measured:
 * most unmirrored copies stay within qc.duplicates.maxDistance of their source) but not a mirror, so
 * cycling through all four spreads a source's copies as far apart as pHash can tell them: mostly,
 * only copies that share a mirroring can come out as near duplicates.
 */
const MIRRORS: readonly Mirror[] = [
  { flop: false, flip: false },
  { flop: true, flip: false },
  { flop: false, flip: true },
  { flop: true, flip: true },
];

/**
 * `scale` copies of every lesion, originals first: copy 0 is the lesion itself, each further copy has both images
 * jittered (see jitterImage) from a generator of its own, so a copy's pixels depend only on the seed,
 * the source image and the copy number, whatever order the images are written in. Pixels are made
 * when an image is loaded, so nothing is held.
 */
export function scaleCopies(lesions: readonly SourceLesion[], scale: number, seed: number): SourceLesion[] {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a whole number >= 1, not ${scale}`);
  const copies = Array.from({ length: scale - 1 }, (_, i) => i + 1).flatMap((copy) =>
    lesions.map((lesion) => ({
      ...lesion,
      copy,
      images: lesion.images.map((image) => ({
        ...image,
        load: async () => jitterImage(await image.load(), MIRRORS[copy % MIRRORS.length]!, Random.for(seed, `${image.isicId}/${copy}`)),
      })),
    })),
  );
  return [...lesions, ...copies];
}
