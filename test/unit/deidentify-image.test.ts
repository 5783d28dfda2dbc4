import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { deidentifyImage, UndecodableImage, UnsupportedFormat } from '../../activities/deidentify/deidentify-image.ts';
import { bytesAfterEoi, metadataSegments, readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';

const W = 96;
const H = 64;

/** A W x H image, red on the left half and blue on the right, so a rotation is visible. */
function twoTone(): Sharp {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      if (x < W / 2) data[p] = 220;
      else data[p + 2] = 220;
      data[p + 1] = 40;
    }
  }
  return sharp(data, { raw: { width: W, height: H, channels: 3 } });
}

/** Inserts a COM segment right after SOI. */
function withComment(jpeg: Buffer, text: string): Buffer {
  const payload = Buffer.from(text, 'latin1');
  const length = payload.length + 2;
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, length >> 8, length & 0xff]), payload, jpeg.subarray(2)]);
}

function pixel(image: { data: Uint8Array; width: number; channels: number }, x: number, y: number): number[] {
  const p = (y * image.width + x) * image.channels;
  return [image.data[p]!, image.data[p + 1]!, image.data[p + 2]!];
}

function expectClean(jpeg: Buffer) {
  expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  expect(metadataSegments(jpeg)).toEqual([]);
  expect(bytesAfterEoi(jpeg)).toBe(0);
}

describe('deidentifyImage', () => {
  it('applies EXIF orientation 6 to the pixels and drops the tag', async () => {
    const source = await twoTone().withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(source).metadata()).orientation).toBe(6);

    const out = await deidentifyImage(source);
    expect(out.orientation).toBe(6);
    const meta = await sharp(out.jpeg).metadata();
    expect([meta.width, meta.height]).toEqual([H, W]); // dimensions swapped
    expect(meta.orientation ?? 1).toBe(1);
    expect([(await sharp(out.jpeg).metadata()).width, (await sharp(out.jpeg).metadata()).height]).toEqual([H, W]);
    expectClean(out.jpeg);

    // orientation 6 = rotate 90 degrees clockwise: the red left half ends up on top
    const decoded = await sharp(out.jpeg).raw().toBuffer({ resolveWithObject: true });
    const img = { data: decoded.data, width: decoded.info.width, channels: decoded.info.channels };
    const top = pixel(img, Math.floor(H / 2), 4);
    const bottom = pixel(img, Math.floor(H / 2), W - 5);
    expect(top[0]).toBeGreaterThan(150);
    expect(top[2]).toBeLessThan(80);
    expect(bottom[2]).toBeGreaterThan(150);
    expect(bottom[0]).toBeLessThan(80);
  });

  it('leaves an upright image as it is', async () => {
    const out = await deidentifyImage(await twoTone().jpeg().toBuffer());
    expect(out.orientation).toBe(1);
    expect([(await sharp(out.jpeg).metadata()).width, (await sharp(out.jpeg).metadata()).height]).toEqual([W, H]);
    expect(out.removedSegments).toEqual([]);
    expectClean(out.jpeg);
  });

  it('strips Exif, ICC, XMP and comments, names them in removedSegments, and leaks none of their values', async () => {
    const tagged = await twoTone()
      .withExif({ IFD0: { Artist: 'Dr Jane Smith', ImageDescription: 'Patient 4711 left forearm', Make: 'Canon' } })
      .withIccProfile('p3')
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="XMP-SECRET-CREATOR"/></rdf:RDF></x:xmpmeta>')
      .jpeg()
      .toBuffer();
    const source = withComment(tagged, 'COMMENT-SECRET patient Doe');
    const names = new Set(readJpegSegments(source).map((s) => (s.identifier ? `${s.name}:${s.identifier}` : s.name)));
    expect(names).toContain('COM');
    expect(names).toContain('APP1:Exif');
    expect(names).toContain('APP2:ICC_PROFILE');

    const out = await deidentifyImage(source);
    expect(out.removedSegments).toEqual(expect.arrayContaining(['COM', 'APP1:Exif', 'APP2:ICC_PROFILE']));
    expect(out.removedSegments.some((s) => s.startsWith('APP1:http://ns.adobe.com/xap'))).toBe(true);
    expect([...out.removedSegments].sort()).toEqual(out.removedSegments); // stable order
    expectClean(out.jpeg);
    const text = out.jpeg.toString('latin1');
    for (const secret of ['Jane Smith', 'Patient 4711', 'Canon', 'XMP-SECRET-CREATOR', 'COMMENT-SECRET', 'ICC_PROFILE', 'Exif']) {
      expect(text).not.toContain(secret);
    }
    // removedSegments carries names only, never values
    expect(out.removedSegments.join(' ')).not.toMatch(/Jane|4711|SECRET/);
  });

  it('drops bytes hidden after the end-of-image marker', async () => {
    const source = Buffer.concat([await twoTone().jpeg().toBuffer(), Buffer.from('TRAILING-SECRET PatNr 4711')]);
    const out = await deidentifyImage(source);
    expectClean(out.jpeg);
    expect(out.jpeg.toString('latin1')).not.toContain('TRAILING-SECRET');
  });

  it('re-encodes a TIFF as a clean JPEG', async () => {
    const tiff = await twoTone().tiff().toBuffer();
    const out = await deidentifyImage(tiff);
    expect(out.path).toBe('reencoded');
    expect((await sharp(out.jpeg).metadata()).format).toBe('jpeg');
    expectClean(out.jpeg);
  });

  it('keeps a plain sRGB JPEG on the lossless path and a rotated one on the re-encode path', async () => {
    const plain = await twoTone().jpeg().toBuffer();
    expect((await deidentifyImage(plain)).path).toBe('lossless');
    const rotated = await twoTone().withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const out = await deidentifyImage(rotated);
    expect(out.path).toBe('reencoded');
    expect(out.reasons).toContain('orientation 6');
  });

  it('re-encodes a PNG as a clean JPEG', async () => {
    const png = await twoTone().png().toBuffer();
    const out = await deidentifyImage(png);
    expect((await sharp(out.jpeg).metadata()).format).toBe('jpeg');
    expect(out.removedSegments).toEqual([]);
    expectClean(out.jpeg);
  });

  it.each([
    ['a CMYK JPEG', () => twoTone().toColourspace('cmyk').jpeg()],
    ['a 16-bit PNG', () => twoTone().toColourspace('rgb16').png()],
    ['a 16-bit greyscale PNG', () => twoTone().greyscale().toColourspace('grey16').png()],
    ['a PNG with alpha', () => twoTone().ensureAlpha(0.5).png()],
    ['a TIFF', () => twoTone().tiff()],
  ])('turns %s into an 8-bit sRGB JPEG of the same size', async (_what, make) => {
    const out = await deidentifyImage(await make().toBuffer());
    const meta = await sharp(out.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: W, height: H, channels: 3, depth: 'uchar', space: 'srgb' });
    expect([(await sharp(out.jpeg).metadata()).width, (await sharp(out.jpeg).metadata()).height]).toEqual([W, H]);
    expectClean(out.jpeg);
  });

  it('is deterministic: the same source gives the same bytes', async () => {
    const source = await twoTone().withMetadata({ orientation: 3 }).jpeg().toBuffer();
    const [a, b] = await Promise.all([deidentifyImage(source), deidentifyImage(source)]);
    expect(a.jpeg.equals(b.jpeg)).toBe(true);
  });

  it('throws UnsupportedFormat for bytes of no known format, UndecodableImage for a JPEG start without a JPEG', async () => {
    await expect(deidentifyImage(randomBytes(4096))).rejects.toBeInstanceOf(UnsupportedFormat);
    await expect(deidentifyImage(Buffer.alloc(0))).rejects.toBeInstanceOf(UnsupportedFormat);
    await expect(deidentifyImage(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(4096)]))).rejects.toBeInstanceOf(UndecodableImage);
  });

  it('throws UndecodableImage for a truncated JPEG instead of releasing a half-grey image', async () => {
    const whole = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg()
      .toBuffer();
    const truncated = whole.subarray(0, Math.floor(whole.length / 2));
    await expect(deidentifyImage(truncated)).rejects.toBeInstanceOf(UndecodableImage);
  });
});

describe.skipIf(!sampleAvailable)('deidentifyImage on a real MILK10k image', () => {
  it('keeps size and appearance', async () => {
    const [file] = sampleImages(1);
    const source = readFileSync(file!);
    const out = await deidentifyImage(source);
    const before = await sharp(source).metadata();
    const after = await sharp(out.jpeg).metadata();
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expectClean(out.jpeg);
    const stats = await sharp(out.jpeg).stats();
    const original = await sharp(source).stats();
    for (let c = 0; c < 3; c++) expect(Math.abs(stats.channels[c]!.mean - original.channels[c]!.mean)).toBeLessThan(3);
  });
});

describe('deidentifyImage judges the format by content', () => {
  const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text x="2" y="30">Garcia Pablo</text></svg>');

  it('refuses an SVG whatever it is called, and never renders it', async () => {
    await expect(deidentifyImage(svg)).rejects.toBeInstanceOf(UnsupportedFormat);
    await expect(deidentifyImage(svg)).rejects.toThrow(/content is svg/);
    await expect(deidentifyImage(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('  <svg xmlns="http://www.w3.org/2000/svg"/>')]))).rejects.toThrow(/content is svg/);
  });

  it('refuses PDF and GIF by default, and takes a format only the config allows', async () => {
    await expect(deidentifyImage(Buffer.from('%PDF-1.4\n%...'))).rejects.toThrow(/content is pdf/);
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).gif().toBuffer();
    await expect(deidentifyImage(gif)).rejects.toThrow(/content is gif, not one of the allowed image formats \(jpeg, png, tiff\)/);
    expect((await deidentifyImage(gif, ['jpeg', 'gif'])).format).toBe('gif');
    const png = await twoTone().png().toBuffer();
    await expect(deidentifyImage(png, ['jpeg'])).rejects.toBeInstanceOf(UnsupportedFormat);
    expect((await deidentifyImage(png)).format).toBe('png');
  });
});
