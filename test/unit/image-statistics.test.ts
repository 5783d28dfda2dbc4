import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanvisionFlags, imageStatistics, type ImageStatistics, type RawImage } from '../../activities/deidentify/image-statistics.ts';
import { CLEANVISION_DEFAULTS } from '../../schemas/qc-checks.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';

/** Decodes to interleaved 8-bit pixels as sharp's `.raw()` gives them. */
async function raw(image: Sharp): Promise<RawImage> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The 128-px-wide thumbnail the checks are meant to run on. */
async function thumbnail(input: string | Buffer): Promise<RawImage> {
  return raw(sharp(input).resize(128).removeAlpha());
}

function solid(width: number, height: number, r: number, g: number, b: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) [data[i], data[i + 1], data[i + 2]] = [r, g, b];
  return { data, width, height, channels: 3 };
}

/** Deterministic colourful noise: every channel uniform over 0..255, independently. */
function noise(width: number, height: number, seed = 1): RawImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return { data, width, height, channels: 3 };
}

describe('cleanvision thresholds', () => {
  it('are the defaults of cleanvision ImagePropertyIssueManager.get_default_params', () => {
    expect(CLEANVISION_DEFAULTS).toMatchObject({ dark: 0.32, light: 0.05, lowInformation: 0.3, oddAspectRatio: 0.35 });
    expect(CLEANVISION_DEFAULTS.colourCast).toBeUndefined();
  });
});

describe('imageStatistics on constructed images', () => {
  it('takes brightness percentiles with numpy-style linear interpolation', () => {
    // one grey row with the values 0..99: np.percentile(v, 99) = 98.01, np.percentile(v, 5) = 4.95
    const grey = Uint8Array.from({ length: 100 }, (_, i) => i);
    const stats = imageStatistics({ data: grey, width: 100, height: 1, channels: 1 });
    expect(stats.dark).toBeCloseTo(98.01 / 255, 12);
    expect(stats.light).toBeCloseTo(1 - 4.95 / 255, 12);
    // the same values as RGB: brightness √(0.241 + 0.691 + 0.068)·v / 255 = v / 255
    const rgb = new Uint8Array(300);
    for (let i = 0; i < 100; i++) rgb.fill(i, 3 * i, 3 * i + 3);
    const fromRgb = imageStatistics({ data: rgb, width: 10, height: 10, channels: 3 });
    expect(fromRgb.dark).toBeCloseTo(stats.dark, 12);
    expect(fromRgb.light).toBeCloseTo(stats.light, 12);
  });

  it('weights channels as perceived brightness √(0.241 R² + 0.691 G² + 0.068 B²)', () => {
    const green = imageStatistics(solid(8, 8, 0, 200, 0));
    expect(green.dark).toBeCloseTo(Math.sqrt(0.691) * (200 / 255), 12);
    expect(green.meanBrightness).toBeCloseTo(green.dark, 12);
    const blue = imageStatistics(solid(8, 8, 0, 0, 255));
    expect(blue.dark).toBeCloseTo(Math.sqrt(0.068), 12);
    expect(cleanvisionFlags(blue)).toContain('dark'); // pure blue is "dark" to cleanvision (0.26 < 0.32)
  });

  it('flags a black image dark and a white one light', async () => {
    const black = imageStatistics(await raw(sharp({ create: { width: 160, height: 120, channels: 3, background: '#050505' } })));
    expect(black.dark).toBeCloseTo(5 / 255, 6);
    expect(cleanvisionFlags(black)).toEqual(['dark', 'low-information', 'grayscale']);
    const white = imageStatistics(await raw(sharp({ create: { width: 160, height: 120, channels: 3, background: '#fcfcfc' } })));
    expect(white.light).toBeCloseTo(1 - 252 / 255, 6);
    expect(cleanvisionFlags(white)).toEqual(['light', 'low-information', 'grayscale']);
  });

  it("computes entropy as Pillow's Image.entropy(): over the concatenated band histograms", () => {
    // a solid RGB image has three one-bin histograms: entropy log2(3), below cleanvision's 3 bits
    const flat = imageStatistics(solid(50, 40, 10, 120, 240));
    expect(flat.entropy).toBeCloseTo(Math.log2(3), 12);
    expect(flat.lowInformation).toBeCloseTo(0.1 * Math.log2(3), 12);
    expect(flat.lumaEntropy).toBe(0);
    expect(cleanvisionFlags(flat)).toEqual(['low-information']);
    // uniform noise: every channel ≈ 8 bits, so ≈ 8 + log2(3) bits (an RGB score never reaches the cap of 1)
    const busy = imageStatistics(noise(256, 256));
    expect(busy.entropy).toBeGreaterThan(9.5);
    expect(busy.entropy).toBeLessThanOrEqual(Math.log2(768));
    expect(busy.lowInformation).toBeCloseTo(0.1 * busy.entropy, 12);
    // a two-level grey image: 1 bit (mode L, 256 bins)
    const halves = Uint8Array.from({ length: 64 }, (_, i) => (i < 32 ? 0 : 255));
    const twoLevels = imageStatistics({ data: halves, width: 8, height: 8, channels: 1 });
    expect(twoLevels.entropy).toBeCloseTo(1, 12);
    expect(twoLevels.lumaEntropy).toBeCloseTo(1, 12);
  });

  it('reports the fraction of neutral pixels as grayscale', async () => {
    // a grey gradient saved as an RGB JPEG decodes with R = G = B
    const gradient = Buffer.alloc(200 * 100 * 3);
    for (let i = 0; i < 200 * 100; i++) gradient.fill((i % 200) + 20, 3 * i, 3 * i + 3);
    const jpeg = await sharp(gradient, { raw: { width: 200, height: 100, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    const grey = imageStatistics(await thumbnail(jpeg));
    expect(grey.grayscale).toBe(1);
    expect(cleanvisionFlags(grey)).toEqual(['grayscale']);
    // single-channel input is grayscale by definition (cleanvision: mode L)
    const single = imageStatistics(await raw(sharp(jpeg).greyscale()));
    expect(single.grayscale).toBe(1);
    // a spread of 2 levels still counts as neutral, 3 does not
    expect(imageStatistics(solid(4, 4, 100, 101, 102)).grayscale).toBe(1);
    expect(imageStatistics(solid(4, 4, 100, 101, 103)).grayscale).toBe(0);
    expect(cleanvisionFlags(imageStatistics(noise(64, 64)))).toEqual([]);
  });

  it('scores the aspect ratio min(w/h, h/w), from the original size when given', () => {
    const wide = imageStatistics(noise(128, 32));
    expect(wide.oddAspectRatio).toBe(0.25);
    expect(cleanvisionFlags(wide)).toEqual(['odd-aspect-ratio']);
    const tall = imageStatistics(noise(40, 100));
    expect(tall.oddAspectRatio).toBe(0.4);
    expect(cleanvisionFlags(tall)).toEqual([]);
    expect(imageStatistics(noise(128, 43), { width: 3000, height: 1000 }).oddAspectRatio).toBeCloseTo(1 / 3, 12);
  });

  it('measures colour cast in CIELAB', () => {
    // sRGB red is L*a*b* (53.24, 80.09, 67.20) under D65
    const red = imageStatistics(solid(10, 10, 255, 0, 0));
    expect(red.meanA).toBeCloseTo(80.09, 1);
    expect(red.meanB).toBeCloseTo(67.2, 1);
    expect(red.colourCast).toBeCloseTo(Math.hypot(80.09, 67.2), 0);
    expect(red.colourCastFactor).toBeCloseTo(red.colourCast, 6); // no spread: M is floored at 1
    const grey = imageStatistics(solid(10, 10, 128, 128, 128));
    expect(grey.colourCast).toBeLessThan(0.01);
    expect(grey.colourCastFactor).toBeLessThan(0.01);
    // a warm tint on noise: the mean moves off neutral while the spread stays
    const tinted = noise(64, 64);
    for (let i = 0; i < tinted.data.length; i += 3) tinted.data[i + 2] = Math.round(tinted.data[i + 2]! * 0.6);
    const cast = imageStatistics(tinted);
    const neutral = imageStatistics(noise(64, 64));
    expect(cast.meanB).toBeGreaterThan(neutral.meanB + 10);
    expect(cast.colourCastFactor).toBeGreaterThan(neutral.colourCastFactor);
  });

  it('flags colour cast only when a threshold is configured', () => {
    const red = imageStatistics(solid(10, 10, 255, 0, 0));
    expect(cleanvisionFlags(red)).toEqual(['low-information']); // a solid image, but no colour-cast check by default
    expect(cleanvisionFlags(red, { ...CLEANVISION_DEFAULTS, colourCast: 40 })).toEqual(['low-information', 'colour-cast']);
    expect(cleanvisionFlags(red, { ...CLEANVISION_DEFAULTS, colourCast: 200 })).toEqual(['low-information']);
  });

  it('returns the checks in a fixed order and honours custom thresholds', () => {
    const stats: ImageStatistics = { ...imageStatistics(noise(64, 64)), dark: 0.1, light: 0.01, lowInformation: 0.1, grayscale: 1, oddAspectRatio: 0.1, colourCast: 99 };
    expect(cleanvisionFlags(stats, { ...CLEANVISION_DEFAULTS, colourCast: 10 })).toEqual(['dark', 'light', 'low-information', 'grayscale', 'odd-aspect-ratio', 'colour-cast']);
    expect(cleanvisionFlags(stats, { dark: 0, light: 0, lowInformation: 0, grayscale: 2, oddAspectRatio: 0 })).toEqual([]);
  });

  it('ignores alpha and rejects inconsistent input', () => {
    const rgba = new Uint8Array(16 * 4).fill(200);
    expect(imageStatistics({ data: rgba, width: 4, height: 4, channels: 4 }).grayscale).toBe(1);
    expect(() => imageStatistics({ data: new Uint8Array(10), width: 4, height: 4, channels: 3 })).toThrow(/bytes/);
    expect(() => imageStatistics({ data: new Uint8Array(80), width: 4, height: 4, channels: 5 })).toThrow(/channels/);
    expect(() => imageStatistics({ data: new Uint8Array(0), width: 0, height: 4, channels: 3 })).toThrow(/size/);
  });
});

describe.skipIf(!sampleAvailable)('imageStatistics on real MILK10k images', () => {
  let files: string[];
  let originals: ImageStatistics[];

  beforeAll(async () => {
    // every 40th of the first 400 images: both image types, many lesions
    files = sampleImages(400).filter((_, i) => i % 40 === 0);
    originals = await Promise.all(files.map(async (f) => imageStatistics(await thumbnail(f))));
  });

  it('flags none of the curated sample images (none of the 2,000 is flagged either)', () => {
    for (const stats of originals) {
      expect(cleanvisionFlags(stats)).toEqual([]);
      expect(stats.oddAspectRatio).toBe(0.75); // 600x450 → 128x96
      expect(stats.lowInformation).toBeGreaterThan(0.5);
      expect(stats.grayscale).toBeLessThan(0.6);
    }
  });

  it('flags a darkened copy dark and a washed-out copy light', async () => {
    for (const file of files.slice(0, 4)) {
      const dark = imageStatistics(await raw(sharp(file).resize(128).linear(0.2, 0)));
      expect(cleanvisionFlags(dark)).toContain('dark');
      const light = imageStatistics(await raw(sharp(file).resize(128).linear(0.05, 245)));
      expect(cleanvisionFlags(light)).toContain('light');
    }
  });

  it('flags a desaturated copy grayscale, also after JPEG re-encoding', async () => {
    for (const file of files.slice(0, 4)) {
      const jpeg = await sharp(file).greyscale().toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
      const stats = imageStatistics(await thumbnail(jpeg));
      expect(stats.grayscale).toBeGreaterThanOrEqual(0.99);
      expect(cleanvisionFlags(stats)).toEqual(['grayscale']);
    }
  });

  it('flags a posterised (two-level) copy low-information', async () => {
    const stats = imageStatistics(await raw(sharp(files[0]).resize(128).greyscale().threshold(128)));
    expect(stats.entropy).toBeLessThanOrEqual(1);
    expect(cleanvisionFlags(stats)).toContain('low-information');
  });

  it('agrees with the full-resolution image on the flags, with small score drift', async () => {
    for (const [k, file] of files.entries()) {
      const full = imageStatistics(await raw(sharp(file).removeAlpha()));
      expect(cleanvisionFlags(full)).toEqual(cleanvisionFlags(originals[k]!));
      // downscaling averages out the extremes: measured up to 0.13 (dark) and 0.08 (low-information) over 200 images
      expect(Math.abs(full.dark - originals[k]!.dark)).toBeLessThan(0.2);
      expect(Math.abs(full.light - originals[k]!.light)).toBeLessThan(0.1);
      expect(Math.abs(full.lowInformation - originals[k]!.lowInformation)).toBeLessThan(0.15);
    }
  });
});
