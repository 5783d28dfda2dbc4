import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { stripJpeg, verifyClean } from '../../activities/storage/jpeg/strip-jpeg.ts';
import {
  plantBeforeEoi,
  plantBeforeRestarts,
  plantInDnl,
  plantInShadowedHuffmanTable,
  plantInUnusedHuffmanTable,
  plantInUnusedQuantTable,
  restartIntervalJpeg,
} from '../helpers/hostile-jpeg.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';
import { textured } from '../helpers/textured-image.ts';

const NAME = 'Garcia Pablo';

/** Decodes to the stored samples; `strict`: libjpeg warnings (extraneous bytes, bad data) fail. */
async function pixels(jpeg: Uint8Array, strict: boolean): Promise<Buffer> {
  return sharp(jpeg, { failOn: strict ? 'warning' : 'none', ignoreIcc: true }).raw().toBuffer();
}

/** The value as latin1, UTF-16LE and UTF-16BE bytes. */
function encodings(value: string): Buffer[] {
  const le = Buffer.from(value, 'utf16le');
  return [Buffer.from(value, 'latin1'), le, Buffer.from(le).swap16()];
}

async function expectMinimal(hostile: Buffer, clean: Buffer, removedName: string) {
  expect(hostile.includes(Buffer.from(NAME, 'latin1'))).toBe(true);
  const stripped = stripJpeg(hostile);
  const { jpeg, removed } = stripped;
  expect(removed).toContain(removedName);
  for (const bytes of encodings(NAME)) expect(jpeg.includes(bytes)).toBe(false);
  expect((await pixels(jpeg, true)).equals(await pixels(hostile, false))).toBe(true);
  // What a canonical writer makes of the same coefficients and tables: the clean file itself.
  expect(jpeg.equals(stripJpeg(clean).jpeg)).toBe(true);
  verifyClean(jpeg);
  expect(() => verifyClean(hostile)).toThrow(/not clean/);
  // With the rewrite's proof (bits per scan) instead of a second decode: the same verdicts.
  verifyClean(stripped);
  expect(() => verifyClean({ ...stripped, jpeg: hostile })).toThrow(/not clean/);
}

const PLANTERS = {
  'a DNL segment': [plantInDnl, 'DNL'],
  'a quantisation table no component uses': [plantInUnusedQuantTable, 'DQT:unused'],
  'a Huffman table no scan uses': [plantInUnusedHuffmanTable, 'DHT:unused'],
  'a Huffman table redefined before any scan reads it': [plantInShadowedHuffmanTable, 'DHT:unused'],
  'bytes after the last MCU, before EOI': [plantBeforeEoi, 'entropy-coded-padding'],
} as const;

describe('stripJpeg writes only what the decoder uses', () => {
  for (const [where, [plant, removedName]] of Object.entries(PLANTERS)) {
    it(`drops a name hidden in ${where}`, async () => {
      for (const clean of [await textured().jpeg({ quality: 90 }).toBuffer(), await textured().jpeg({ progressive: true }).toBuffer(), restartIntervalJpeg()]) {
        await expectMinimal(plant(clean, NAME), clean, removedName);
      }
    });
  }

  it('drops bytes hidden after each restart interval, keeping RST0-7 in sequence', async () => {
    const clean = restartIntervalJpeg();
    await expectMinimal(plantBeforeRestarts(clean, NAME), clean, 'entropy-coded-padding');
  });

  it('keeps a Huffman table redefined between scans, as each scan reads it', async () => {
    // A progressive file rewritten by libjpeg has its own tables for many scans, redefining slots.
    const progressive = await textured().jpeg({ progressive: true, optimiseCoding: true }).toBuffer();
    const dhts = readJpegSegments(progressive).filter((s) => s.name === 'DHT').length;
    expect(dhts).toBeGreaterThan(4);
    const { jpeg } = stripJpeg(progressive);
    expect(readJpegSegments(jpeg).filter((s) => s.name === 'DHT').length).toBeGreaterThan(4);
    expect((await pixels(jpeg, true)).equals(await pixels(progressive, true))).toBe(true);
  });

  it('is a fixed point: a file it wrote is rewritten byte for byte, a libjpeg file is left as it is', async () => {
    for (const clean of [await textured().jpeg({ quality: 90 }).toBuffer(), await textured(1).jpeg().toBuffer(), restartIntervalJpeg()]) {
      expect(stripJpeg(clean).jpeg.equals(clean)).toBe(true);
      expect(stripJpeg(clean).removed).toEqual([]);
    }
  });

  it('refuses a scan that ends before its last MCU instead of guessing what follows', async () => {
    const whole = await textured().jpeg().toBuffer();
    const scan = readJpegSegments(whole).find((s) => s.name === 'SOS')!;
    const cut = Buffer.concat([whole.subarray(0, scan.offset + scan.length + 40), Buffer.from([0xff, 0xd9])]);
    expect(() => stripJpeg(cut)).toThrow(/ends inside an MCU|restart intervals/);
  });
});

describe.skipIf(!sampleAvailable)('stripJpeg on MILK10k sample images', () => {
  it('drops names planted everywhere a decoder does not look, and keeps every pixel', async () => {
    for (const file of sampleImages(4)) {
      const clean = readFileSync(file);
      const hostile = plantInDnl(plantInUnusedHuffmanTable(plantInUnusedQuantTable(plantBeforeEoi(clean, NAME), NAME), NAME), NAME);
      const { jpeg, removed } = stripJpeg(hostile);
      expect(removed).toEqual(expect.arrayContaining(['DHT:unused', 'DNL', 'DQT:unused', 'entropy-coded-padding']));
      for (const bytes of encodings(NAME)) expect(jpeg.includes(bytes)).toBe(false);
      expect((await pixels(jpeg, true)).equals(await pixels(clean, false))).toBe(true);
    }
  });
});
