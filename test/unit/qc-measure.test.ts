import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureImage, type RgbImage } from '../../activities/qc/measure-image.ts';
import { qcFailures } from '../../activities/qc/qc-policy.ts';
import { QcThresholds } from '../../schemas/config.ts';
import { QcScores } from '../../schemas/records.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';

const defaults = QcThresholds.parse({});

async function decode(image: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
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

  it('weights green most in luma (Rec. 601), so pure green is brighter than pure blue', async () => {
    const green = measureImage(await decode(sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 255, b: 0 } } })));
    const blue = measureImage(await decode(sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 0, b: 255 } } })));
    expect(green.meanLuma).toBeGreaterThan(blue.meanLuma * 4);
    expect(qcFailures(blue, defaults)).toContain('too-dark');
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
