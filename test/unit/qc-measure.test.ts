import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureImage, type LumaImage } from '../../activities/qc/measure-image.ts';
import { qcFailures } from '../../activities/qc/qc-policy.ts';
import { QcThresholds } from '../../schemas/config.ts';
import { QcScores } from '../../schemas/records.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';

const defaults = QcThresholds.parse({});

/** Decodes to 8-bit luma, the form measureImage takes (as sharp's `.greyscale().raw()` gives it). */
async function decode(image: Sharp): Promise<LumaImage> {
  const { data, info } = await image.removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return { data, width: info.width, height: info.height };
}

function hamming(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let bits = 0;
  for (; x > 0n; x >>= 1n) bits += Number(x & 1n);
  return bits;
}

describe('measureImage on synthetic images', () => {
  it('reports size and mean luma of a flat image, with zero sharpness', async () => {
    const grey = await decode(sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 100, g: 100, b: 100 } } }));
    const scores = measureImage(grey);
    expect(QcScores.parse(scores)).toEqual(scores);
    expect(scores.width).toBe(320);
    expect(scores.height).toBe(240);
    expect(scores.meanLuma).toBeCloseTo(100, 0);
    expect(scores.sharpness).toBeCloseTo(0, 3);
    expect(qcFailures(scores, defaults)).toEqual(['blurry']);
  });

  it('scores a fine checkerboard as sharp and its 2x2-averaged copy (flat grey) as blurry', () => {
    const width = 300;
    const height = 200;
    const board = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) board[y * width + x] = (x + y) % 2 ? 200 : 60;
    const sharpScores = measureImage({ data: board, width, height });
    expect(sharpScores.meanLuma).toBeCloseTo(130, 0);
    expect(qcFailures(sharpScores, defaults)).toEqual([]);

    const averaged = new Uint8Array(width * height).fill(130);
    const blurScores = measureImage({ data: averaged, width, height });
    expect(blurScores.meanLuma).toBe(sharpScores.meanLuma);
    expect(blurScores.sharpness).toBeLessThan(sharpScores.sharpness);
    expect(qcFailures(blurScores, defaults)).toEqual(['blurry']);
  });

  it('flags an over-exposed image as too-bright', async () => {
    const white = measureImage(await decode(sharp({ create: { width: 300, height: 200, channels: 3, background: '#fafafa' } })));
    expect(qcFailures(white, defaults)).toContain('too-bright');
  });
});

describe.skipIf(!sampleAvailable)('measureImage and qcFailures on real MILK10k images', () => {
  let files: string[];
  let original: ReturnType<typeof measureImage>;

  beforeAll(async () => {
    files = sampleImages(4);
    original = measureImage(await decode(sharp(files[0])));
  });

  it('passes the original image under the default thresholds', () => {
    expect(qcFailures(original, defaults)).toEqual([]);
  });

  it('scores a blurred copy much less sharp and flags it blurry', async () => {
    const blurred = measureImage(await decode(sharp(files[0]).blur(4)));
    expect(blurred.sharpness).toBeLessThan(original.sharpness / 10);
    expect(qcFailures(blurred, defaults)).toEqual(['blurry']);
  });

  it('flags a darkened copy as too-dark', async () => {
    const dark = measureImage(await decode(sharp(files[0]).linear(0.1, 0)));
    expect(dark.meanLuma).toBeLessThan(original.meanLuma / 5);
    expect(qcFailures(dark, defaults)).toContain('too-dark');
  });

  it('flags a 64x48 copy as too-small', async () => {
    const tiny = measureImage(await decode(sharp(files[0]).resize(64, 48)));
    expect([tiny.width, tiny.height]).toEqual([64, 48]);
    expect(qcFailures(tiny, defaults)).toContain('too-small');
  });

  it('gives a rescaled copy a near-identical pHash and different lesions distant ones', async () => {
    const meta = await sharp(files[0]).metadata();
    const rescaled = await sharp(files[0])
      .resize(Math.round(meta.width! * 0.8), Math.round(meta.height! * 0.8))
      .jpeg({ quality: 85 })
      .toBuffer();
    const copy = measureImage(await decode(sharp(rescaled)));
    expect(hamming(original.phash, copy.phash)).toBeLessThanOrEqual(8);

    // files are sorted by <lesion_id>/<isic_id>: 0 and 2 belong to different lesions
    expect(files[0]!.split('/').at(-2)).not.toBe(files[2]!.split('/').at(-2));
    const other = measureImage(await decode(sharp(files[2])));
    expect(hamming(original.phash, other.phash)).toBeGreaterThan(16);
  });

  it('applies the configured thresholds, not fixed ones', () => {
    const strict = QcThresholds.parse({ minWidth: original.width + 1, minSharpness: original.sharpness + 1 });
    expect(qcFailures(original, strict)).toEqual(['too-small', 'blurry']);
  });
});
