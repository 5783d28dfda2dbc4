import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import {
  bytesAfterEoi,
  metadataSegments,
  readJpegSegments,
  type JpegSegment,
} from '../../activities/storage/jpeg/jpeg-segments.ts';

const image = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#a06040' } });
const baseline = () => image().jpeg().toBuffer();

/** A marker segment with a length field: FF, marker, big-endian length, payload. */
function segment(marker: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  return Buffer.concat([Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
}

function insertAfterSoi(jpeg: Uint8Array, ...segments: Uint8Array[]): Uint8Array {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

const names = (segments: JpegSegment[]) => segments.map((s) => s.name);
const JFIF_APP0 = segment(0xe0, Buffer.from([...Buffer.from('JFIF\0'), 1, 2, 1, 0, 72, 0, 72, 0, 0]));

describe('readJpegSegments', () => {
  it('lists a baseline JPEG from SOI to EOI with headers tiling the file up to the scan', async () => {
    const jpeg = await baseline();
    const segments = readJpegSegments(jpeg);

    expect(segments[0]).toEqual({ marker: 0xd8, name: 'SOI', offset: 0, length: 2 });
    expect(segments.at(-1)).toEqual({ marker: 0xd9, name: 'EOI', offset: jpeg.length - 2, length: 2 });
    expect(names(segments).filter((n) => n === 'SOS')).toHaveLength(1);
    expect(names(segments)).toEqual(expect.arrayContaining(['DQT', 'SOF0', 'DHT']));
    expect(names(segments).indexOf('SOF0')).toBeLessThan(names(segments).indexOf('SOS'));

    const sos = names(segments).indexOf('SOS');
    for (let i = 1; i <= sos; i++) {
      expect(segments[i].offset).toBe(segments[i - 1].offset + segments[i - 1].length);
    }
    for (const s of segments) expect([jpeg[s.offset], jpeg[s.offset + 1]]).toEqual([0xff, s.marker]);
  });

  it('follows every scan of a progressive JPEG through to EOI', async () => {
    const jpeg = await image().jpeg({ progressive: true }).toBuffer();
    const segments = readJpegSegments(jpeg);
    const list = names(segments);

    expect(list).toContain('SOF2');
    expect(list.filter((n) => n === 'SOS').length).toBeGreaterThan(1);
    // Huffman tables redefined between scans are only visible if scan data was skipped correctly.
    expect(list.slice(list.indexOf('SOS')).filter((n) => n === 'DHT').length).toBeGreaterThan(0);
    expect(segments.at(-1)).toMatchObject({ name: 'EOI', offset: jpeg.length - 2 });
    expect(bytesAfterEoi(jpeg)).toBe(0);
  });

  it('skips stuffed bytes and (fill-padded) restart markers inside entropy-coded data', () => {
    const sosHeader = segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0]));
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      segment(0xdd, Buffer.from([0, 4])), // DRI
      sosHeader,
      Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0x00, 0xff, 0xff, 0xd7, 0x78]),
      segment(0xc4, Buffer.alloc(0)), // DHT between scans
      sosHeader,
      Buffer.from([0x9a, 0xff, 0x00, 0xff, 0xd1, 0xbc, 0xff, 0xff, 0xff, 0xd9]), // fill bytes before EOI
      Buffer.from('PHI'),
    ]);

    const segments = readJpegSegments(jpeg);
    expect(names(segments)).toEqual(['SOI', 'DRI', 'SOS', 'DHT', 'SOS', 'EOI']);
    expect(segments[3].offset).toBe(2 + 6 + 10 + 13);
    expect(segments.at(-1)!.offset).toBe(jpeg.length - 3 - 2);
    expect(bytesAfterEoi(jpeg)).toBe(3);
  });

  it('names APPn segments by their NUL-terminated identifier, capped at 40 characters', async () => {
    const jpeg = insertAfterSoi(
      await image().withIccProfile('srgb').jpeg().toBuffer(),
      JFIF_APP0,
      segment(0xe1, 'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>'),
      segment(0xed, 'Photoshop 3.0\x008BIM'),
      segment(0xef, 'A'.repeat(60)),
      segment(0xee, Buffer.from([0x01, 0x02])),
    );
    const apps = readJpegSegments(jpeg).filter((s) => s.name.startsWith('APP'));

    expect(apps.map((s) => [s.name, s.identifier])).toEqual([
      ['APP0', 'JFIF'],
      ['APP1', 'http://ns.adobe.com/xap/1.0/'],
      ['APP13', 'Photoshop 3.0'],
      ['APP15', 'A'.repeat(40)],
      ['APP14', undefined],
      ['APP2', 'ICC_PROFILE'],
    ]);
  });

  it('rejects input that is not a JPEG', async () => {
    const png = await image().png().toBuffer();
    expect(() => readJpegSegments(png)).toThrow('Not a JPEG: expected SOI marker FFD8 at offset 0, found 8950');
    expect(() => readJpegSegments(new Uint8Array())).toThrow(/Not a JPEG.*end of data/);
  });

  it('reports a truncated segment with its name and offset', async () => {
    const jpeg = await baseline();
    const dqt = readJpegSegments(jpeg).find((s) => s.name === 'DQT')!;
    expect(() => readJpegSegments(jpeg.subarray(0, dqt.offset + 10))).toThrow(
      new RegExp(`Truncated JPEG: DQT segment at offset ${dqt.offset} declares 67 bytes but only 8 remain`),
    );
    expect(() => readJpegSegments(jpeg.subarray(0, dqt.offset + 3))).toThrow(/no length field/);
  });

  it('reports a missing EOI, whether data stops in a scan or between segments', async () => {
    const jpeg = await baseline();
    expect(() => readJpegSegments(jpeg.subarray(0, jpeg.length - 2))).toThrow(/Missing EOI.*scan at offset \d+/);
    const dqt = readJpegSegments(jpeg).find((s) => s.name === 'DQT')!;
    expect(() => readJpegSegments(jpeg.subarray(0, dqt.offset + dqt.length))).toThrow(
      `Missing EOI: data ends at offset ${dqt.offset + dqt.length}`,
    );
  });

  it('allows 0xFF fill bytes before a marker and reports the marker at its own 0xFF', async () => {
    const jpeg = insertAfterSoi(await baseline(), Buffer.from([0xff, 0xff]));
    expect(readJpegSegments(jpeg)[1]).toMatchObject({ name: 'DQT', offset: 4 });
  });

  it('rejects bytes where a marker should be', async () => {
    const jpeg = Buffer.from(await baseline());
    jpeg[2] = 0x00;
    expect(() => readJpegSegments(jpeg)).toThrow('expected a marker at offset 2, found byte 00');
  });

  it('rejects stuffing outside a scan and impossible segment lengths', async () => {
    const jpeg = await baseline();
    expect(() => readJpegSegments(insertAfterSoi(jpeg, Buffer.from([0xff, 0x00])))).toThrow(
      'stuffed byte FF00 outside entropy-coded data at offset 2',
    );
    expect(() => readJpegSegments(insertAfterSoi(jpeg, Buffer.from([0xff, 0xfe, 0x00, 0x01])))).toThrow(
      'COM segment at offset 2 declares impossible length 1',
    );
  });
});

describe('bytesAfterEoi', () => {
  it('counts data appended after EOI', async () => {
    const jpeg = await baseline();
    const appended = Buffer.concat([jpeg, Buffer.from('Patient: Jane Doe, MRN 0042')]);
    expect(bytesAfterEoi(jpeg)).toBe(0);
    expect(bytesAfterEoi(appended)).toBe(27);
  });
});

describe('metadataSegments', () => {
  it('returns Exif APP1, ICC APP2 and COM, but not the JFIF APP0', async () => {
    const jpeg = insertAfterSoi(
      await image().withExif({ IFD0: { Artist: 'Dr Who' } }).withIccProfile('srgb').jpeg().toBuffer(),
      JFIF_APP0,
      segment(0xfe, 'Patient: Jane Doe'),
    );
    const found = metadataSegments(jpeg);

    expect(found.map((s) => [s.name, s.identifier])).toEqual([
      ['COM', undefined],
      ['APP1', 'Exif'],
      ['APP2', 'ICC_PROFILE'],
    ]);
    const com = found[0];
    expect(Buffer.from(jpeg.subarray(com.offset + 4, com.offset + com.length)).toString('latin1')).toBe(
      'Patient: Jane Doe',
    );
  });

  it('treats a non-JFIF APP0 (JFXX thumbnail) as metadata', async () => {
    const jpeg = insertAfterSoi(await baseline(), JFIF_APP0, segment(0xe0, 'JFXX\0\x13'));
    expect(metadataSegments(jpeg).map((s) => s.identifier)).toEqual(['JFXX']);
  });

  it('finds nothing in a bare sharp JPEG', async () => {
    expect(metadataSegments(await baseline())).toEqual([]);
  });
});
