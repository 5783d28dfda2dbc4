import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignedCorrelation } from '../../activities/assemble/aligned-correlation.ts';
import { duplicateGroups } from '../../activities/assemble/duplicate-groups.ts';
import { hammingDistance } from '../../activities/assemble/near-duplicates.ts';
import { measureImage, type MeasuredImage } from '../../activities/deidentify/measure-image.ts';
import { QcConfig } from '../../schemas/config.ts';
import { decodeThumbnail } from '../../schemas/similarity-thumbnail.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';

const options = QcConfig.parse({}).duplicates;

/** Near copies a curator would call the same picture, each made from a real sample image. */
const TRANSFORMS: [string, (s: Sharp, w: number, h: number) => Sharp, number?][] = [
  ['50% rescale', (s, w) => s.resize({ width: Math.round(w / 2) })],
  ['JPEG q60', (s) => s, 60],
  ['5% crop', (s, w, h) => s.extract({ left: Math.round(w * 0.025), top: Math.round(h * 0.025), width: Math.round(w * 0.95), height: Math.round(h * 0.95) })],
  ['+10% brightness', (s) => s.modulate({ brightness: 1.1 })],
  ['3° rotation', (s, w, h) => s.rotate(3).extract({ left: Math.floor((Math.ceil(w * Math.cos(Math.PI / 60) + h * Math.sin(Math.PI / 60)) - w) / 2), top: Math.floor((Math.ceil(w * Math.sin(Math.PI / 60) + h * Math.cos(Math.PI / 60)) - h) / 2), width: w, height: h })],
  ['horizontal flip', (s) => s.flop()],
];

/**
 * Dermoscopic close-ups of four different lesions of the sample: a dark spot centred on pale skin
 * each, whose pHashes are within 2–6 bits of one another (the chain that the hash alone grouped).
 */
const LOOK_ALIKES = ['ISIC_1610084', 'ISIC_2668215', 'ISIC_3932303', 'ISIC_9209191'];

const entry = (id: string, m: MeasuredImage) => ({ id, similarityThumbnail: m.similarityThumbnail, pixelSha256: m.scores.pixelSha256, aspect: m.scores.width / m.scores.height });

describe.skipIf(!sampleAvailable)('near-duplicate confirmation on real sample images', () => {
  let files: string[];
  beforeAll(() => {
    files = sampleImages(2000);
  });

  it.each(TRANSFORMS)('groups a %s copy with its original, and nothing else', async (_, transform, quality) => {
    const sources = [files[11]!, files[500]!, files[1203]!];
    const measured = await Promise.all(
      sources.map(async (file) => {
        const bytes = readFileSync(file);
        const { width = 0, height = 0 } = await sharp(bytes).metadata();
        const copy = await transform(sharp(bytes), width, height).jpeg({ quality: quality ?? 90 }).toBuffer();
        return [await measureImage(bytes), await measureImage(copy)] as const;
      }),
    );
    const groups = duplicateGroups(
      measured.flatMap(([original, copy], k) => [entry(`original-${k}`, original), entry(`copy-${k}`, copy)]),
      options,
    );
    expect(groups.map((g) => g.members)).toEqual([0, 1, 2].map((k) => [`copy-${k}`, `original-${k}`]));
    for (const g of groups) expect(g.minScore).toBeGreaterThanOrEqual(options.minScore);
  });

  it('rejects look-alike close-ups of different lesions that the pHash alone joins', async () => {
    const measured = await Promise.all(LOOK_ALIKES.map(async (id) => measureImage(readFileSync(files.find((f) => path.basename(f, '.jpg') === id)!))));
    // they are hash candidates (each within the distance of another one), so only the confirmation keeps them apart
    for (const [k, m] of measured.entries()) {
      const nearest = Math.min(...measured.filter((_, j) => j !== k).map((o) => hammingDistance(o.scores.phash, m.scores.phash)));
      expect(nearest).toBeLessThanOrEqual(options.maxDistance);
    }
    expect(duplicateGroups(measured.map((m, k) => entry(LOOK_ALIKES[k]!, m)), options)).toEqual([]);
    for (let i = 0; i < measured.length; i++)
      for (let j = i + 1; j < measured.length; j++) {
        const score = alignedCorrelation(decodeThumbnail(measured[i]!.similarityThumbnail), decodeThumbnail(measured[j]!.similarityThumbnail)).score;
        expect(score).toBeLessThan(options.minScore);
      }
  });

  it('needs the mirror to match a flipped copy', async () => {
    const bytes = readFileSync(files[42]!);
    const original = decodeThumbnail((await measureImage(bytes)).similarityThumbnail);
    const flipped = decodeThumbnail((await measureImage(await sharp(bytes).flop().jpeg().toBuffer())).similarityThumbnail);
    expect(alignedCorrelation(original, flipped, true).score).toBeGreaterThan(0.9);
    expect(alignedCorrelation(original, flipped, false).score).toBeLessThan(options.minScore);
  });
});
