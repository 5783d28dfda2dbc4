import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EXIFTOOL, exiftoolTags } from '../helpers/exiftool.ts';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { needsPixelTransform, stripJpeg, UnsupportedJpeg, verifyClean } from '../../activities/storage/jpeg/strip-jpeg.ts';
import { buildExifApp1, insertApp1, type CameraExif } from '../../scripts/synth/exif.ts';
import { sampleAvailable, sampleImages } from '../helpers/sample.ts';
import { textured } from '../helpers/textured-image.ts';
import { restartIntervalJpeg } from '../helpers/hostile-jpeg.ts';

const hasExiftool = !('missing' in EXIFTOOL);

const CAMERA: CameraExif = {
  make: 'FotoFinder',
  model: 'medicam 1000s',
  software: 'FotoFinder Universe 3.2',
  artist: 'Dr. Pichler',
  imageDescription: 'Garcia, Pablo QP767903',
  dateTimeOriginal: '2016:08:02 16:23:00',
  orientation: 1,
  gps: { latitude: -27.49853, longitude: 153.01477 },
};

/** A marker segment with a length field: FF, marker, big-endian length, payload. */
function segment(marker: number, payload: Uint8Array | string | number[]): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : Buffer.from(payload);
  return Buffer.concat([Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
}

function insertAfterSoi(jpeg: Uint8Array, ...segments: Uint8Array[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

const XMP_PACKET =
  '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmp:CreateDate="2016-08-02T16:23:00" exif:GPSLatitude="27,29.9S"/>' +
  '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
const XMP_APP1 = segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0'), Buffer.from(XMP_PACKET)]));
/** Photoshop IRB with one IPTC block holding a By-line (2:80). */
const PHOTOSHOP_APP13 = segment(
  0xed,
  Buffer.concat([Buffer.from('Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10', 'latin1'), Buffer.from([0x1c, 0x02, 0x50, 0x00, 0x0b]), Buffer.from('Dr. Pichler', 'latin1')]),
);
/** JFIF 1.01, no units, 1:1 — what most cameras and libjpeg write first (sharp 0.35 writes none). */
const JFIF_APP0 = segment(0xe0, [...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const COM = segment(0xfe, 'patient Garcia, Pablo, DOB 1961-03-04');
const TRAILER = Buffer.from('MRN 00412345');

/** Decodes to the stored samples: no ICC transform (the strip drops the profile), no rotation; warnings fail. */
async function pixels(jpeg: Uint8Array): Promise<Buffer> {
  return sharp(jpeg, { failOn: 'warning', ignoreIcc: true }).raw().toBuffer();
}

async function expectSamePixels(stripped: Uint8Array, original: Uint8Array) {
  const [a, b] = await Promise.all([pixels(stripped), pixels(original)]);
  expect(a.length).toBe(b.length);
  expect(a.equals(b)).toBe(true);
}

/** Every metadata kind at once, around `jpeg`: Exif (with GPS) + XMP + IPTC + COM after SOI, bytes after EOI. */
function withEverything(jpeg: Uint8Array, exif: CameraExif = CAMERA): Buffer {
  return Buffer.concat([insertAfterSoi(insertApp1(jpeg, buildExifApp1(exif)), XMP_APP1, PHOTOSHOP_APP13, COM), TRAILER]);
}

function restartMarkers(jpeg: Uint8Array): number[] {
  const found: number[] = [];
  for (let i = 0; i + 1 < jpeg.length; i++) if (jpeg[i] === 0xff && jpeg[i + 1] >= 0xd0 && jpeg[i + 1] <= 0xd7) found.push(jpeg[i + 1] - 0xd0);
  return found;
}

/** Splits the profile of a sharp-made JPEG into `n` APP2 ICC_PROFILE chunks, written in reverse order. */
function chunkedIcc(jpeg: Buffer, n: number, drop?: number): Buffer {
  const segments = readJpegSegments(jpeg);
  const icc = segments.find((s) => s.identifier === 'ICC_PROFILE')!;
  const profile = jpeg.subarray(icc.offset + 4 + 14, icc.offset + icc.length);
  const size = Math.ceil(profile.length / n);
  const chunks = Array.from({ length: n }, (_, i) =>
    segment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0'), Buffer.from([i + 1, n]), profile.subarray(i * size, (i + 1) * size)])),
  )
    .filter((_, i) => i !== drop)
    .reverse();
  const without = Buffer.concat([jpeg.subarray(0, icc.offset), jpeg.subarray(icc.offset + icc.length)]);
  return insertAfterSoi(without, ...chunks);
}

describe('stripJpeg keeps the pixels exactly', () => {
  it('baseline 4:2:0 and 4:4:4 JPEGs', async () => {
    for (const chromaSubsampling of ['4:2:0', '4:4:4']) {
      const original = withEverything(await textured().jpeg({ quality: 90, chromaSubsampling }).toBuffer());
      const { jpeg } = stripJpeg(original);
      expect(readJpegSegments(jpeg).map((s) => s.name)).toContain('SOF0');
      await expectSamePixels(jpeg, original);
      verifyClean(jpeg);
    }
  });

  it('progressive JPEGs, with Huffman tables between their many scans', async () => {
    const original = withEverything(await textured().jpeg({ progressive: true }).toBuffer());
    const { jpeg } = stripJpeg(original);
    const names = readJpegSegments(jpeg).map((s) => s.name);
    expect(names).toContain('SOF2');
    expect(names.filter((n) => n === 'SOS').length).toBeGreaterThan(5);
    await expectSamePixels(jpeg, original);
    verifyClean(jpeg);
  });

  it('a restart-interval JPEG: DRI kept, every RSTn inside the scan copied', async () => {
    const plain = restartIntervalJpeg();
    expect(restartMarkers(plain)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0]); // 48 MCUs, interval 5
    const meta = await sharp(plain, { failOn: 'warning' }).metadata(); // a valid JPEG to libjpeg
    expect([meta.width, meta.height, meta.channels]).toEqual([64, 48, 1]);

    const original = withEverything(plain);
    const { jpeg, removed } = stripJpeg(original);
    expect(jpeg.equals(plain)).toBe(true);
    expect(removed).toEqual(['APP13:Photoshop 3.0', 'APP1:Exif', 'APP1:http://ns.adobe.com/xap/1.0/', 'COM', 'trailing-bytes']);
    expect(readJpegSegments(jpeg).map((s) => s.name)).toEqual(['SOI', 'DQT', 'SOF0', 'DHT', 'DHT', 'DRI', 'SOS', 'EOI']);
    expect(restartMarkers(jpeg)).toEqual(restartMarkers(plain));
    await expectSamePixels(jpeg, original);
    const decoded = await pixels(jpeg);
    expect(new Set(decoded).size).toBeGreaterThan(20); // a real picture, not a flat grey
  });

  it('greyscale JPEGs', async () => {
    const original = withEverything(await textured(1).jpeg().toBuffer());
    const { jpeg } = stripJpeg(original);
    await expectSamePixels(jpeg, original);
  });

  it('CMYK JPEGs, keeping the Adobe APP14 their colour transform lives in (but not its ICC profile)', async () => {
    const original = await textured().withIccProfile('cmyk').jpeg().toBuffer();
    expect(readJpegSegments(original).map((s) => `${s.name}:${s.identifier ?? ''}`)).toContain('APP14:Adobe');
    const { jpeg, removed } = stripJpeg(withEverything(original));
    expect(readJpegSegments(jpeg).filter((s) => s.name.startsWith('APP')).map((s) => `${s.name}:${s.identifier}`)).toEqual(['APP14:Adobe']);
    expect(removed).toContain('APP2:ICC_PROFILE');
    expect(removed).not.toContain('APP14:Adobe');
    await expectSamePixels(jpeg, original);
    verifyClean(jpeg);

  });

  it('keeps the Adobe APP14 wherever decoders would read the samples differently without it', async () => {
    const withoutSegment = (jpeg: Buffer, name: string) => {
      const s = readJpegSegments(jpeg).find((x) => x.name === name)!;
      return Buffer.concat([jpeg.subarray(0, s.offset), jpeg.subarray(s.offset + s.length)]);
    };
    const setAdobeTransform = (jpeg: Buffer, transform: number) => {
      const s = readJpegSegments(jpeg).find((x) => x.name === 'APP14')!;
      const out = Buffer.from(jpeg);
      out[s.offset + 15] = transform;
      return out;
    };
    const adobe = (transform: number) => segment(0xee, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, transform]);
    // YCCK (4 components, transform 2): without the marker the same samples are read as plain CMYK.
    const ycck = setAdobeTransform(await textured().withIccProfile('cmyk').jpeg().toBuffer(), 2);
    // RGB stored as is (3 components, transform 0, no JFIF): without the marker they are read as YCbCr.
    const rgb = insertAfterSoi(await textured().jpeg().toBuffer(), adobe(0));
    for (const original of [ycck, rgb]) {
      const { jpeg, removed } = stripJpeg(withEverything(original));
      expect(removed).not.toContain('APP14:Adobe');
      await expectSamePixels(jpeg, original);
      verifyClean(jpeg);
      expect((await pixels(withoutSegment(jpeg, 'APP14'))).equals(await pixels(jpeg))).toBe(false);
    }
    // A JFIF APP0 makes 3-component files YCbCr whatever APP14 says, so then the APP14 goes.
    const rgbWithJfif = insertAfterSoi(await textured().jpeg().toBuffer(), JFIF_APP0, adobe(0));
    const { jpeg, removed } = stripJpeg(rgbWithJfif);
    expect(removed).toEqual(['APP14:Adobe']);
    await expectSamePixels(jpeg, rgbWithJfif);
  });

  it('drops Adobe APP14 from a YCbCr JPEG, where it tells decoders nothing', async () => {
    const original = insertAfterSoi(await textured().jpeg().toBuffer(), segment(0xee, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 1]));
    const { jpeg, removed } = stripJpeg(original);
    expect(removed).toEqual(['APP14:Adobe']);
    await expectSamePixels(jpeg, original);
    expect(() => verifyClean(original)).toThrow(/APP14:Adobe/);
  });

  it('keeps the JFIF APP0 but drops its thumbnail', async () => {
    const plain = insertAfterSoi(await textured().jpeg().toBuffer(), JFIF_APP0);
    const jfif = readJpegSegments(plain)[1];
    expect(jfif.identifier).toBe('JFIF');
    // Same JFIF header, now with a 2x1 RGB thumbnail of 6 bytes.
    const header = Buffer.from(plain.subarray(jfif.offset + 4, jfif.offset + jfif.length));
    header[12] = 2;
    header[13] = 1;
    const withThumbnail = Buffer.concat([plain.subarray(0, jfif.offset), segment(0xe0, Buffer.concat([header, Buffer.from([1, 2, 3, 4, 5, 6])])), plain.subarray(jfif.offset + jfif.length)]);
    expect(() => verifyClean(withThumbnail)).toThrow(/APP0:JFIF/);

    const { jpeg, removed } = stripJpeg(withThumbnail);
    expect(removed).toEqual(['APP0:JFIF-thumbnail']);
    expect(jpeg.equals(plain)).toBe(true);
  });

  it('refuses markers it cannot judge instead of guessing', async () => {
    const jpegLsExtension = insertAfterSoi(await textured().jpeg().toBuffer(), segment(0xf8, [1, 2, 3]));
    expect(() => stripJpeg(jpegLsExtension)).toThrow(UnsupportedJpeg);
    expect(() => stripJpeg(jpegLsExtension)).toThrow(/JPG8/);
  });
});

describe.skipIf(!sampleAvailable)('stripJpeg on MILK10k sample images', () => {
  it('keeps their pixels as they are, baseline as released and re-encoded progressive', async () => {
    for (const file of sampleImages(6)) {
      const source = readFileSync(file);
      const baseline = stripJpeg(withEverything(source, { ...CAMERA, orientation: 1 }));
      expect(baseline.removed).toEqual(['APP13:Photoshop 3.0', 'APP1:Exif', 'APP1:http://ns.adobe.com/xap/1.0/', 'COM', 'trailing-bytes']);
      verifyClean(baseline.jpeg);
      await expectSamePixels(baseline.jpeg, source);

      const progressive = await sharp(source).keepMetadata().jpeg({ progressive: true, quality: 92 }).toBuffer();
      const stripped = stripJpeg(progressive);
      expect(stripped.removed).toContain('APP1:http://ns.adobe.com/xap/1.0/');
      verifyClean(stripped.jpeg);
      await expectSamePixels(stripped.jpeg, progressive);
    }
  });
});

describe('stripJpeg removes metadata', () => {
  it('drops EXIF with GPS, XMP, ICC, IPTC, COM and trailing bytes, and names each (names only)', async () => {
    const original = withEverything(insertAfterSoi(await textured().withIccProfile('p3').jpeg().toBuffer(), JFIF_APP0));
    const { jpeg, removed } = stripJpeg(original);
    expect(removed).toEqual([
      'APP13:Photoshop 3.0',
      'APP1:Exif',
      'APP1:http://ns.adobe.com/xap/1.0/',
      'APP2:ICC_PROFILE',
      'COM',
      'trailing-bytes',
    ]);
    expect(readJpegSegments(jpeg).map((s) => s.name)).toEqual(['SOI', 'APP0', 'DQT', 'DQT', 'SOF0', 'DHT', 'DHT', 'DHT', 'DHT', 'SOS', 'EOI']);
    expect(jpeg.at(-1)).toBe(0xd9);
    const text = jpeg.toString('latin1');
    for (const phi of ['Pichler', 'Garcia', 'medicam', '2016:08:02', 'MRN', 'GPSLatitude', 'Exif', 'ICC_PROFILE']) expect(text).not.toContain(phi);
    verifyClean(jpeg);
  });

  it.skipIf(!hasExiftool)('leaves exiftool nothing to report but the file, JFIF and image structure', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strip-jpeg-'));
    try {
      const file = path.join(dir, 'out.jpg');
      const original = withEverything(insertAfterSoi(await textured().withIccProfile('p3').jpeg().toBuffer(), JFIF_APP0));
      writeFileSync(file, stripJpeg(original).jpeg);
      const tags = exiftoolTags([file])[0]!;
      const groups = new Set(Object.keys(tags).map((k) => k.split(':')[0]));
      expect([...groups].sort()).toEqual(['Composite', 'ExifTool', 'File', 'JFIF', 'SourceFile', 'System']);
      expect(JSON.stringify(tags)).not.toMatch(/GPS|Artist|Comment|Pichler|ICC|IPTC|XMP/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('needsPixelTransform', () => {
  it('reads EXIF orientation 6 from big-endian (MM) and little-endian (II) TIFF', async () => {
    const plain = await textured().jpeg().toBuffer();
    const mm = insertApp1(plain, buildExifApp1({ ...CAMERA, orientation: 6 }));
    expect(needsPixelTransform(mm)).toEqual({ orientation: 6, iccIsSrgb: true, reasons: ['orientation 6'] });

    const ii = await textured().jpeg().withMetadata({ orientation: 6 }).toBuffer(); // libexif writes Intel order
    const exif = readJpegSegments(ii).find((s) => s.identifier === 'Exif')!;
    expect(ii.toString('latin1', exif.offset + 10, exif.offset + 12)).toBe('II');
    expect(needsPixelTransform(ii)).toMatchObject({ orientation: 6, reasons: ['orientation 6'] });
    expect((await sharp(ii).metadata()).orientation).toBe(6);
  });

  it('sees nothing to do without EXIF and ICC, or with orientation 1', async () => {
    const plain = await textured().jpeg().toBuffer();
    expect(needsPixelTransform(plain)).toEqual({ orientation: 1, iccIsSrgb: true, reasons: [] });
    expect(needsPixelTransform(insertApp1(plain, buildExifApp1(CAMERA)))).toEqual({ orientation: 1, iccIsSrgb: true, reasons: [] });
  });

  it('tells a Display P3 profile from an sRGB one', async () => {
    const p3 = needsPixelTransform(await textured().withIccProfile('p3').jpeg().toBuffer());
    expect(p3.iccIsSrgb).toBe(false);
    expect(p3.reasons).toEqual([expect.stringMatching(/^ICC profile ".+" is not sRGB \(primaries or tone curves\)$/)]);
    expect(needsPixelTransform(await textured().withIccProfile('srgb').jpeg().toBuffer())).toEqual({ orientation: 1, iccIsSrgb: true, reasons: [] });
  });

  it('reassembles a profile split over several APP2 chunks in sequence order', async () => {
    const p3 = await textured().withIccProfile('p3').jpeg().toBuffer();
    const srgb = await textured().withIccProfile('srgb').jpeg().toBuffer();
    expect(readJpegSegments(chunkedIcc(srgb, 3)).filter((s) => s.identifier === 'ICC_PROFILE')).toHaveLength(3);
    expect(needsPixelTransform(chunkedIcc(srgb, 3)).iccIsSrgb).toBe(true);
    expect(needsPixelTransform(chunkedIcc(p3, 3))).toEqual(needsPixelTransform(p3));
    expect(needsPixelTransform(chunkedIcc(srgb, 3, 1))).toMatchObject({ iccIsSrgb: false, reasons: ['ICC profile chunks are missing or inconsistent'] });
  });

  it('combines reasons', async () => {
    const both = insertApp1(await textured().withIccProfile('p3').jpeg().toBuffer(), buildExifApp1({ ...CAMERA, orientation: 8 }));
    const result = needsPixelTransform(both);
    expect(result.orientation).toBe(8);
    expect(result.reasons).toEqual(['orientation 8', expect.stringMatching(/not sRGB/)]);
  });
});

describe('verifyClean', () => {
  const cleanJpeg = () => textured().jpeg().toBuffer();

  it('accepts a plain sharp JPEG and a stripped one', async () => {
    const plain = await cleanJpeg();
    verifyClean(plain);
    verifyClean(stripJpeg(withEverything(plain)).jpeg);
  });

  it('names an Exif APP1, a COM, an ICC APP2 and an XMP APP1 when no XMP is allowed', async () => {
    const plain = await cleanJpeg();
    expect(() => verifyClean(insertApp1(plain, buildExifApp1(CAMERA)))).toThrow(/APP1:Exif/);
    expect(() => verifyClean(insertAfterSoi(plain, COM))).toThrow(/COM at offset 2/);
    const withIcc = await textured().withIccProfile('srgb').jpeg().toBuffer();
    expect(() => verifyClean(withIcc)).toThrow(/APP2:ICC_PROFILE/);
    expect(() => verifyClean(insertAfterSoi(plain, XMP_APP1))).toThrow(/APP1:http:\/\/ns.adobe.com\/xap\/1.0\//);
    expect(() => verifyClean(insertAfterSoi(plain, PHOTOSHOP_APP13))).toThrow(/APP13:Photoshop 3.0/);
  });

  it('rejects bytes after EOI and stray bytes between segments', async () => {
    const plain = await cleanJpeg();
    expect(() => verifyClean(Buffer.concat([plain, TRAILER]))).toThrow(/12 trailing bytes after EOI/);
    expect(() => verifyClean(insertAfterSoi(plain, Buffer.from([0xff, 0xff])))).toThrow(/stray bytes/);
  });

  it('asks the callback about XMP and names what it disallows', async () => {
    const withXmp = insertAfterSoi(await cleanJpeg(), XMP_APP1);
    const seen: string[] = [];
    expect(() =>
      verifyClean(withXmp, (xmp) => {
        seen.push(xmp);
        return ['exif:GPSLatitude', 'xmp:CreateDate'];
      }),
    ).toThrow(/APP1:http:\/\/ns.adobe.com\/xap\/1.0\/ .*disallowed properties exif:GPSLatitude, xmp:CreateDate/);
    expect(seen).toEqual([XMP_PACKET]);
    verifyClean(withXmp, () => []);
    expect(() => verifyClean(insertAfterSoi(withXmp, XMP_APP1), () => [])).toThrow(/second XMP/);
  });
});

describe('needsPixelTransform judges an ICC profile by its colours, not its name', () => {
  /** The sRGB profile libvips embeds ('desc': 4 UTF-16 characters), its description overwritten with `name`, and, optionally, its red primary moved. */
  async function variant(name: string, moveRed: boolean): Promise<Buffer> {
    const jpeg = await textured().withIccProfile('srgb').jpeg().toBuffer();
    const s = readJpegSegments(jpeg).find((x) => x.identifier === 'ICC_PROFILE')!;
    const out = Buffer.from(jpeg);
    const icc = out.subarray(s.offset + 4 + 14, s.offset + s.length);
    for (let i = 0; i < icc.readUInt32BE(128); i++) {
      const tag = icc.toString('latin1', 132 + 12 * i, 136 + 12 * i);
      const at = icc.readUInt32BE(136 + 12 * i);
      if (tag === 'rXYZ' && moveRed) icc.writeInt32BE(Math.round(0.5 * 65536), at + 8); // X of red: no longer sRGB's 0.4361
      if (tag === 'desc') {
        const [length, offset] = [icc.readUInt32BE(at + 20), icc.readUInt32BE(at + 24)]; // first mluc record
        Buffer.from(name.padEnd(length / 2).slice(0, length / 2), 'utf16le').swap16().copy(icc, at + offset);
      }
    }
    return out;
  }

  it('takes a profile with sRGB primaries and curves under another name as sRGB, and one named sRGB with other primaries as not', async () => {
    const renamed = needsPixelTransform(await variant('Cam1', false));
    expect(renamed).toMatchObject({ iccIsSrgb: true, reasons: [] });
    const impostor = needsPixelTransform(await variant('sRGB', true));
    expect(impostor.iccIsSrgb).toBe(false);
    expect(impostor.reasons).toEqual(['ICC profile "sRGB" is not sRGB (primaries or tone curves)']);
  });
});
