import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { buildExifApp1, insertApp1, type CameraExif } from '../../scripts/synth/exif.ts';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';

const image = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#a06040' } });

const camera: CameraExif = {
  make: 'Canon',
  model: 'Canon EOS 5D Mark IV',
  software: 'Firmware 1.2.3',
  artist: 'Dr. Jane Smith',
  imageDescription: 'Patient 12345 left forearm',
  dateTimeOriginal: '2023:07:14 09:41:27',
  orientation: 6,
  gps: { latitude: -33.8688197, longitude: 151.2092955 },
};

const TAG = {
  ImageDescription: 0x010e, Make: 0x010f, Model: 0x0110, Orientation: 0x0112, Software: 0x0131,
  DateTime: 0x0132, Artist: 0x013b, ExifIfd: 0x8769, GpsIfd: 0x8825,
  DateTimeOriginal: 0x9003, DateTimeDigitized: 0x9004,
  GpsVersionId: 0, GpsLatitudeRef: 1, GpsLatitude: 2, GpsLongitudeRef: 3, GpsLongitude: 4,
};
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

interface Field {
  type: number;
  count: number;
  bytes: Uint8Array;
  /** Set when the value is stored outside the entry. */
  valueOffset?: number;
}

/** Independent big-endian IFD reader, so the tests do not trust the writer's own layout code. */
function readIfd(tiff: Uint8Array, at: number): Map<number, Field> {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const fields = new Map<number, Field>();
  for (let i = 0; i < view.getUint16(at); i++) {
    const entry = at + 2 + 12 * i;
    const type = view.getUint16(entry + 2);
    const count = view.getUint32(entry + 4);
    const size = TYPE_SIZE[type] * count;
    const valueOffset = size > 4 ? view.getUint32(entry + 8) : undefined;
    const start = valueOffset ?? entry + 8;
    fields.set(view.getUint16(entry), { type, count, bytes: tiff.subarray(start, start + size), valueOffset });
  }
  return fields;
}

const text = (f: Field | undefined) => {
  expect(f?.type).toBe(2);
  expect(f!.bytes.at(-1)).toBe(0);
  return Buffer.from(f!.bytes.subarray(0, -1)).toString('latin1');
};
const uint = (f: Field | undefined) => new DataView(f!.bytes.buffer, f!.bytes.byteOffset).getUint32(0);
const rationals = (f: Field | undefined) => {
  expect(f?.type).toBe(5);
  const view = new DataView(f!.bytes.buffer, f!.bytes.byteOffset);
  return Array.from({ length: f!.count }, (_, i) => [view.getUint32(8 * i), view.getUint32(8 * i + 4)]);
};

function segment(marker: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
}

function parse(app1: Uint8Array) {
  const tiff = app1.subarray(10);
  const ifd0 = readIfd(tiff, new DataView(tiff.buffer, tiff.byteOffset).getUint32(4));
  const exifIfd = readIfd(tiff, uint(ifd0.get(TAG.ExifIfd)));
  const gpsIfd = ifd0.has(TAG.GpsIfd) ? readIfd(tiff, uint(ifd0.get(TAG.GpsIfd))) : undefined;
  return { tiff, ifd0, exifIfd, gpsIfd };
}

describe('buildExifApp1', () => {
  it('writes an APP1 segment with Exif header and big-endian TIFF header', () => {
    const app1 = buildExifApp1(camera);
    expect([...app1.subarray(0, 2)]).toEqual([0xff, 0xe1]);
    expect((app1[2] << 8) | app1[3]).toBe(app1.length - 2);
    expect(Buffer.from(app1.subarray(4, 10)).toString('latin1')).toBe('Exif\0\0');
    expect([...app1.subarray(10, 18)]).toEqual([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]);
  });

  it('stores camera, capture-time and GPS tags in the right IFDs', () => {
    const { ifd0, exifIfd, gpsIfd } = parse(buildExifApp1(camera));

    expect(text(ifd0.get(TAG.Make))).toBe('Canon');
    expect(text(ifd0.get(TAG.Model))).toBe('Canon EOS 5D Mark IV');
    expect(text(ifd0.get(TAG.Software))).toBe('Firmware 1.2.3');
    expect(text(ifd0.get(TAG.Artist))).toBe('Dr. Jane Smith');
    expect(text(ifd0.get(TAG.ImageDescription))).toBe('Patient 12345 left forearm');
    expect(text(ifd0.get(TAG.DateTime))).toBe('2023:07:14 09:41:27');
    expect(ifd0.get(TAG.Orientation)).toMatchObject({ type: 3, count: 1, bytes: Uint8Array.from([0, 6]) });
    expect(text(exifIfd.get(TAG.DateTimeOriginal))).toBe('2023:07:14 09:41:27');
    expect(text(exifIfd.get(TAG.DateTimeDigitized))).toBe('2023:07:14 09:41:27');

    expect(gpsIfd?.get(TAG.GpsVersionId)).toMatchObject({ type: 1, bytes: Uint8Array.from([2, 3, 0, 0]) });
    expect(text(gpsIfd!.get(TAG.GpsLatitudeRef))).toBe('S');
    expect(text(gpsIfd!.get(TAG.GpsLongitudeRef))).toBe('E');
    expect(rationals(gpsIfd!.get(TAG.GpsLatitude))).toEqual([[33, 1], [52, 1], [77509, 10000]]);
    expect(rationals(gpsIfd!.get(TAG.GpsLongitude))).toEqual([[151, 1], [12, 1], [334638, 10000]]);
  });

  it('sorts tags ascending and word-aligns out-of-line values inside the segment', () => {
    const { tiff, ifd0, exifIfd, gpsIfd } = parse(buildExifApp1(camera));
    for (const ifd of [ifd0, exifIfd, gpsIfd!]) {
      const tags = [...ifd.keys()];
      expect(tags).toEqual([...tags].sort((a, b) => a - b));
      for (const field of ifd.values()) {
        if (field.valueOffset === undefined) continue;
        expect(field.valueOffset % 2).toBe(0);
        expect(field.valueOffset + field.bytes.length).toBeLessThanOrEqual(tiff.length);
      }
    }
  });

  it('writes S/W references and never rounds seconds up to 60', () => {
    const { gpsIfd } = parse(buildExifApp1({ ...camera, gps: { latitude: 10.999999999, longitude: -0.5 } }));
    expect(rationals(gpsIfd!.get(TAG.GpsLatitude))).toEqual([[11, 1], [0, 1], [0, 10000]]);
    expect(text(gpsIfd!.get(TAG.GpsLongitudeRef))).toBe('W');
    expect(rationals(gpsIfd!.get(TAG.GpsLongitude))).toEqual([[0, 1], [30, 1], [0, 10000]]);
  });

  it('omits the GPS IFD and optional strings when not given', () => {
    const { ifd0, gpsIfd } = parse(
      buildExifApp1({ make: 'Nikon', model: 'D850', dateTimeOriginal: '2020:01:02 03:04:05', orientation: 1 }),
    );
    expect(gpsIfd).toBeUndefined();
    expect([TAG.Software, TAG.Artist, TAG.ImageDescription].some((t) => ifd0.has(t))).toBe(false);
  });

  it('rejects values Exif cannot represent', () => {
    expect(() => buildExifApp1({ ...camera, dateTimeOriginal: '2023-07-14T09:41:27' })).toThrow(/YYYY:MM:DD/);
    expect(() => buildExifApp1({ ...camera, artist: 'Dr. Müller' })).toThrow(/artist must be 7-bit ASCII/);
    expect(() => buildExifApp1({ ...camera, gps: { latitude: 91, longitude: 0 } })).toThrow(/latitude/);
    expect(() => buildExifApp1({ ...camera, orientation: 9 as CameraExif['orientation'] })).toThrow(/orientation/);
  });
});

describe('insertApp1', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8] as const)('sharp reads back orientation %i and the exact Exif block', async (orientation) => {
    const app1 = buildExifApp1({ ...camera, orientation });
    const jpeg = insertApp1(await image().jpeg().toBuffer(), app1);
    const metadata = await sharp(jpeg).metadata();

    expect(metadata.orientation).toBe(orientation);
    expect(metadata.exif).toEqual(Buffer.from(app1.subarray(4)));
  });

  it('goes right after SOI when there is no JFIF APP0', async () => {
    const app1 = buildExifApp1(camera);
    const out = insertApp1(await image().jpeg({ progressive: true }).toBuffer(), app1);
    const [soi, first] = readJpegSegments(out);
    expect([soi.name, first.name, first.offset, first.length]).toEqual(['SOI', 'APP1', 2, app1.length]);
  });

  it('goes after a JFIF APP0 and replaces an existing Exif APP1, keeping other segments and trailing bytes', async () => {
    const original = await image().withMetadata({ orientation: 3 }).withIccProfile('srgb').jpeg().toBuffer();
    const jfif = segment(0xe0, Buffer.from([...Buffer.from('JFIF\0'), 1, 2, 1, 0, 72, 0, 72, 0, 0]));
    const xmp = segment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x/>'));
    const trailer = Buffer.from('trailing');
    const dqt = readJpegSegments(original).find((s) => s.name === 'DQT')!;
    const jpeg = Buffer.concat([
      original.subarray(0, 2),
      jfif,
      original.subarray(2, dqt.offset), // sharp's own Exif APP1 and the ICC APP2
      xmp,
      original.subarray(dqt.offset),
      trailer,
    ]);
    const app1 = buildExifApp1({ ...camera, orientation: 8 });

    const out = insertApp1(jpeg, app1);
    const apps = readJpegSegments(out).filter((s) => s.name.startsWith('APP'));

    expect(apps.map((s) => `${s.name}:${s.identifier}`)).toEqual([
      'APP0:JFIF',
      'APP1:Exif',
      'APP2:ICC_PROFILE',
      'APP1:http://ns.adobe.com/xap/1.0/',
    ]);
    expect(Buffer.from(out.subarray(apps[1].offset, apps[1].offset + apps[1].length))).toEqual(Buffer.from(app1));
    expect(Buffer.from(out.subarray(-trailer.length)).toString()).toBe('trailing');
    expect((await sharp(out).metadata()).orientation).toBe(8);
  });

  it('rejects something that is not a single APP1 segment', async () => {
    const jpeg = await image().jpeg().toBuffer();
    expect(() => insertApp1(jpeg, Uint8Array.from([0xff, 0xe2, 0, 2]))).toThrow(/complete APP1/);
    expect(() => insertApp1(jpeg, buildExifApp1(camera).subarray(0, 20))).toThrow(/complete APP1/);
  });
});
