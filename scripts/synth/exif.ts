/**
 * Builds camera-style EXIF (Exif 2.3 over TIFF 6.0) so synthetic centre drops
 * carry the same PHI-bearing metadata real clinical photographs do.
 */
import { readJpegSegments, type JpegSegment } from '../../activities/storage/jpeg/jpeg-segments.ts';

export interface CameraExif {
  make: string;
  model: string;
  software?: string;
  artist?: string;
  imageDescription?: string;
  /** 'YYYY:MM:DD HH:MM:SS', the Exif date format. */
  dateTimeOriginal: string;
  orientation: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
  /** Decimal degrees; negative means south / west. */
  gps?: { latitude: number; longitude: number };
}

const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, UNDEFINED: 7 } as const;

const TAG = {
  // IFD0 (primary image)
  ImageDescription: 0x010e,
  Make: 0x010f,
  Model: 0x0110,
  Orientation: 0x0112,
  XResolution: 0x011a,
  YResolution: 0x011b,
  ResolutionUnit: 0x0128,
  Software: 0x0131,
  DateTime: 0x0132,
  Artist: 0x013b,
  YCbCrPositioning: 0x0213,
  ExifIfdPointer: 0x8769,
  GpsIfdPointer: 0x8825,
  // Exif IFD
  ExifVersion: 0x9000,
  DateTimeOriginal: 0x9003,
  DateTimeDigitized: 0x9004,
  ComponentsConfiguration: 0x9101,
  FlashpixVersion: 0xa000,
  ColorSpace: 0xa001,
  // GPS IFD
  GpsVersionId: 0x0000,
  GpsLatitudeRef: 0x0001,
  GpsLatitude: 0x0002,
  GpsLongitudeRef: 0x0003,
  GpsLongitude: 0x0004,
} as const;

interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Big-endian encoded value; inlined in the entry when it fits in 4 bytes. */
  value: Uint8Array;
}

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // 'Exif\0\0'
const APP1_PREFIX_LENGTH = 4 + EXIF_HEADER.length; // FFE1 + length field + 'Exif\0\0'
const FIRST_IFD_OFFSET = 8; // right after the TIFF header
const IFD_ENTRY_LENGTH = 12;
/** GPS seconds are stored as n/10000: 1/10000 arc-second is about 3 mm on the ground. */
const GPS_SECONDS_DENOMINATOR = 10_000;
const EXIF_DATE = /^\d{4}:\d{2}:\d{2} \d{2}:\d{2}:\d{2}$/;

/** Returns a complete APP1 segment (FFE1, length, 'Exif\0\0', big-endian TIFF). */
export function buildExifApp1(exif: CameraExif): Uint8Array {
  validate(exif);

  const exifIfd = exifTags(exif);
  const gpsIfd = exif.gps && gpsTags(exif.gps);
  const exifPointer = long(TAG.ExifIfdPointer, 0);
  const gpsPointer = gpsIfd && long(TAG.GpsIfdPointer, 0);
  const ifd0 = [...primaryImageTags(exif), exifPointer, ...(gpsPointer ? [gpsPointer] : [])];

  // Pointer values never change an IFD's length, so offsets can be fixed after the placeholders.
  const exifIfdOffset = FIRST_IFD_OFFSET + ifdLength(ifd0);
  const gpsIfdOffset = exifIfdOffset + ifdLength(exifIfd);
  exifPointer.value = u32(exifIfdOffset);
  if (gpsPointer) gpsPointer.value = u32(gpsIfdOffset);

  const tiffLength = gpsIfdOffset + (gpsIfd ? ifdLength(gpsIfd) : 0);
  const segmentLength = 2 + EXIF_HEADER.length + tiffLength;
  if (segmentLength > 0xffff) {
    throw new Error(`EXIF too large for one APP1 segment: ${segmentLength} bytes (max 65535)`);
  }

  const app1 = new Uint8Array(2 + segmentLength);
  const view = new DataView(app1.buffer);
  view.setUint16(0, 0xffe1);
  view.setUint16(2, segmentLength);
  app1.set(EXIF_HEADER, 4);

  const tiff = app1.subarray(APP1_PREFIX_LENGTH); // IFD offsets are relative to the TIFF header
  tiff.set([0x4d, 0x4d, 0x00, 0x2a]); // 'MM' (big-endian), magic 42
  new DataView(tiff.buffer, tiff.byteOffset).setUint32(4, FIRST_IFD_OFFSET);
  writeIfd(tiff, FIRST_IFD_OFFSET, ifd0);
  writeIfd(tiff, exifIfdOffset, exifIfd);
  if (gpsIfd) writeIfd(tiff, gpsIfdOffset, gpsIfd);
  return app1;
}

/**
 * Returns a copy of `jpeg` with `app1` placed right after SOI (and after a
 * JFIF APP0, which the JFIF spec requires to come first). Existing Exif APP1
 * segments are dropped so the file never carries two conflicting blocks.
 */
export function insertApp1(jpeg: Uint8Array, app1: Uint8Array): Uint8Array {
  if (app1.length < 4 || app1[0] !== 0xff || app1[1] !== 0xe1 || ((app1[2] << 8) | app1[3]) + 2 !== app1.length) {
    throw new Error('insertApp1: app1 must be one complete APP1 segment (FFE1 + length covering the whole buffer)');
  }
  const segments = readJpegSegments(jpeg);
  const jfif = segments[1].name === 'APP0' && segments[1].identifier === 'JFIF' ? segments[1] : undefined;
  const insertAt = jfif ? jfif.offset + jfif.length : 2;

  const parts = [jpeg.subarray(0, insertAt), app1];
  let cursor = insertAt;
  for (const old of segments.filter(isExifApp1)) {
    parts.push(jpeg.subarray(cursor, old.offset));
    cursor = old.offset + old.length;
  }
  parts.push(jpeg.subarray(cursor)); // keeps any bytes after EOI untouched
  return concat(parts);
}

function primaryImageTags(exif: CameraExif): IfdEntry[] {
  const optional = (tag: number, text?: string) => (text === undefined ? [] : [ascii(tag, text)]);
  return [
    ...optional(TAG.ImageDescription, exif.imageDescription),
    ascii(TAG.Make, exif.make),
    ascii(TAG.Model, exif.model),
    short(TAG.Orientation, exif.orientation),
    rational(TAG.XResolution, [72, 1]),
    rational(TAG.YResolution, [72, 1]),
    short(TAG.ResolutionUnit, 2), // inches
    ...optional(TAG.Software, exif.software),
    ascii(TAG.DateTime, exif.dateTimeOriginal),
    ...optional(TAG.Artist, exif.artist),
    short(TAG.YCbCrPositioning, 1), // centred, as JPEG encoders subsample
  ];
}

function exifTags(exif: CameraExif): IfdEntry[] {
  return [
    raw(TAG.ExifVersion, TYPE.UNDEFINED, asciiBytes('0230')),
    ascii(TAG.DateTimeOriginal, exif.dateTimeOriginal),
    ascii(TAG.DateTimeDigitized, exif.dateTimeOriginal),
    raw(TAG.ComponentsConfiguration, TYPE.UNDEFINED, [1, 2, 3, 0]), // Y Cb Cr
    raw(TAG.FlashpixVersion, TYPE.UNDEFINED, asciiBytes('0100')),
    short(TAG.ColorSpace, 1), // sRGB
  ];
}

function gpsTags({ latitude, longitude }: { latitude: number; longitude: number }): IfdEntry[] {
  return [
    raw(TAG.GpsVersionId, TYPE.BYTE, [2, 3, 0, 0]),
    ascii(TAG.GpsLatitudeRef, latitude < 0 ? 'S' : 'N'),
    rational(TAG.GpsLatitude, ...degreesMinutesSeconds(latitude)),
    ascii(TAG.GpsLongitudeRef, longitude < 0 ? 'W' : 'E'),
    rational(TAG.GpsLongitude, ...degreesMinutesSeconds(longitude)),
  ];
}

/** Splits |degrees| into whole degrees, whole minutes and fractional seconds, rounding once so seconds never reach 60. */
function degreesMinutesSeconds(degrees: number): Array<[number, number]> {
  const units = Math.round(Math.abs(degrees) * 3600 * GPS_SECONDS_DENOMINATOR);
  const perMinute = 60 * GPS_SECONDS_DENOMINATOR;
  return [
    [Math.floor(units / (60 * perMinute)), 1],
    [Math.floor(units / perMinute) % 60, 1],
    [units % perMinute, GPS_SECONDS_DENOMINATOR],
  ];
}

function validate(exif: CameraExif): void {
  if (!EXIF_DATE.test(exif.dateTimeOriginal)) {
    throw new Error(`dateTimeOriginal must be 'YYYY:MM:DD HH:MM:SS', got '${exif.dateTimeOriginal}'`);
  }
  if (!Number.isInteger(exif.orientation) || exif.orientation < 1 || exif.orientation > 8) {
    throw new Error(`orientation must be an integer 1-8, got ${exif.orientation}`);
  }
  for (const [field, text] of Object.entries(exif)) {
    // Exif ASCII is 7-bit and NUL-terminated: anything else would be mis-read or truncated.
    if (typeof text === 'string' && !/^[\x01-\x7f]*$/.test(text)) {
      throw new Error(`${field} must be 7-bit ASCII without NUL, got '${text}'`);
    }
  }
  if (exif.gps) {
    const { latitude, longitude } = exif.gps;
    if (!(Math.abs(latitude) <= 90)) throw new Error(`gps.latitude must be within ±90, got ${latitude}`);
    if (!(Math.abs(longitude) <= 180)) throw new Error(`gps.longitude must be within ±180, got ${longitude}`);
  }
}

/** Bytes an IFD occupies: count, entries, next-IFD offset, then word-aligned out-of-line values. */
function ifdLength(entries: IfdEntry[]): number {
  const external = entries.reduce((sum, e) => sum + (e.value.length > 4 ? wordAlign(e.value.length) : 0), 0);
  return 2 + IFD_ENTRY_LENGTH * entries.length + 4 + external;
}

function writeIfd(tiff: Uint8Array, at: number, entries: IfdEntry[]): void {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const sorted = [...entries].sort((a, b) => a.tag - b.tag); // TIFF 6.0 requires ascending tags
  view.setUint16(at, sorted.length);
  // The next-IFD offset after the entries stays 0: there is no thumbnail IFD1.
  let dataAt = at + 2 + IFD_ENTRY_LENGTH * sorted.length + 4;
  sorted.forEach((entry, i) => {
    const field = at + 2 + IFD_ENTRY_LENGTH * i;
    view.setUint16(field, entry.tag);
    view.setUint16(field + 2, entry.type);
    view.setUint32(field + 4, entry.count);
    if (entry.value.length <= 4) {
      tiff.set(entry.value, field + 8); // small values are left-justified in the offset field
    } else {
      view.setUint32(field + 8, dataAt);
      tiff.set(entry.value, dataAt);
      dataAt += wordAlign(entry.value.length);
    }
  });
}

function ascii(tag: number, text: string): IfdEntry {
  const value = asciiBytes(`${text}\0`);
  return { tag, type: TYPE.ASCII, count: value.length, value };
}

function short(tag: number, n: number): IfdEntry {
  const value = new Uint8Array(2);
  new DataView(value.buffer).setUint16(0, n);
  return { tag, type: TYPE.SHORT, count: 1, value };
}

function long(tag: number, n: number): IfdEntry {
  return { tag, type: TYPE.LONG, count: 1, value: u32(n) };
}

function rational(tag: number, ...fractions: Array<[number, number]>): IfdEntry {
  return { tag, type: TYPE.RATIONAL, count: fractions.length, value: u32(...fractions.flat()) };
}

function raw(tag: number, type: number, bytes: ArrayLike<number>): IfdEntry {
  return { tag, type, count: bytes.length, value: Uint8Array.from(bytes) };
}

function u32(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v));
  return bytes;
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function wordAlign(n: number): number {
  return n + (n % 2);
}

function isExifApp1(segment: JpegSegment): boolean {
  return segment.name === 'APP1' && segment.identifier === 'Exif';
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
