/**
 * Minimal JPEG marker-segment reader (ITU-T T.81 Annex B).
 *
 * It walks the marker structure only — it never decodes image data — so the
 * de-identifier can see exactly which segments a file carries and where.
 */

export interface JpegSegment {
  /** Marker code, the byte after 0xFF (e.g. 0xE1 for APP1). */
  marker: number;
  /** Conventional marker name: 'SOI', 'APP1', 'DQT', 'SOF2', 'DHT', 'SOS', ... */
  name: string;
  /** Offset of the segment's 0xFF marker byte. */
  offset: number;
  /**
   * Bytes from `offset` to the end of the segment: 2 for stand-alone markers
   * (SOI, EOI), otherwise 2 + the segment's length field. The entropy-coded
   * data that follows an SOS header belongs to no segment.
   */
  length: number;
  /** APPn only: leading printable-ASCII id such as 'JFIF', 'Exif', 'ICC_PROFILE'. */
  identifier?: string;
}

/** JPEG marker codes (ITU-T T.81 Table B.1) that the readers and writers of this folder name. */
export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const APP0 = 0xe0;
export const APP1 = 0xe1;
export const APP2 = 0xe2;
export const APP14 = 0xee;
export const COM = 0xfe;
const MAX_IDENTIFIER_LENGTH = 40;

const FIXED_NAMES: Readonly<Record<number, string>> = {
  0x01: 'TEM',
  0xc4: 'DHT',
  0xc8: 'JPG',
  0xcc: 'DAC',
  0xd8: 'SOI',
  0xd9: 'EOI',
  0xda: 'SOS',
  0xdb: 'DQT',
  0xdc: 'DNL',
  0xdd: 'DRI',
  0xde: 'DHP',
  0xdf: 'EXP',
  0xfe: 'COM',
};

/** Lists the file's marker segments from SOI up to and including EOI. */
export function readJpegSegments(jpeg: Uint8Array): JpegSegment[] {
  if (jpeg.length < 2 || jpeg[0] !== 0xff || jpeg[1] !== SOI) {
    throw new Error(`Not a JPEG: expected SOI marker FFD8 at offset 0, found ${hexBytes(jpeg, 0, 2)}`);
  }
  const segments: JpegSegment[] = [{ marker: SOI, name: 'SOI', offset: 0, length: 2 }];
  let pos = 2;
  for (;;) {
    const offset = findMarker(jpeg, pos);
    const marker = jpeg[offset + 1];
    const name = markerName(marker);
    if (isStandalone(marker)) {
      segments.push({ marker, name, offset, length: 2 });
      if (marker === EOI) return segments;
      pos = offset + 2;
      continue;
    }
    if (offset + 4 > jpeg.length) {
      throw new Error(`Truncated JPEG: ${name} marker at offset ${offset} has no length field (data ends at ${jpeg.length})`);
    }
    const declared = (jpeg[offset + 2] << 8) | jpeg[offset + 3];
    if (declared < 2) {
      throw new Error(`Corrupt JPEG: ${name} segment at offset ${offset} declares impossible length ${declared}`);
    }
    const end = offset + 2 + declared;
    if (end > jpeg.length) {
      throw new Error(
        `Truncated JPEG: ${name} segment at offset ${offset} declares ${declared} bytes but only ${jpeg.length - offset - 2} remain`,
      );
    }
    const segment: JpegSegment = { marker, name, offset, length: end - offset };
    if (isApp(marker)) {
      const identifier = leadingAscii(jpeg, offset + 4, end);
      if (identifier) segment.identifier = identifier;
    }
    segments.push(segment);
    // Each scan header is followed by entropy-coded data; progressive files repeat SOS per scan.
    pos = marker === SOS ? skipEntropyCodedData(jpeg, end, offset) : end;
  }
}

/** Number of bytes after the EOI marker — trailing data that viewers ignore but that can hide PHI. */
export function bytesAfterEoi(jpeg: Uint8Array): number {
  const eoi = readJpegSegments(jpeg).at(-1)!;
  return jpeg.length - (eoi.offset + eoi.length);
}

/**
 * Segments a de-identifier must strip: every APPn (Exif, XMP, ICC, Photoshop/IPTC,
 * maker blocks, JFXX thumbnails, ...) and every COM. Only the JFIF APP0 is kept,
 * because it carries nothing but pixel density and tells decoders how to read the file.
 */
export function metadataSegments(jpeg: Uint8Array): JpegSegment[] {
  return readJpegSegments(jpeg).filter(
    (s) => s.marker === COM || (isApp(s.marker) && !(s.marker === APP0 && s.identifier === 'JFIF')),
  );
}

/** Returns the offset of the 0xFF that introduces the marker at or after `pos`, skipping fill bytes. */
function findMarker(jpeg: Uint8Array, pos: number): number {
  if (pos >= jpeg.length) {
    throw new Error(`Missing EOI: data ends at offset ${jpeg.length} without an FFD9 marker`);
  }
  if (jpeg[pos] !== 0xff) {
    throw new Error(`Corrupt JPEG: expected a marker at offset ${pos}, found byte ${hexBytes(jpeg, pos, 1)}`);
  }
  // T.81 B.1.1.2: any number of 0xFF fill bytes may precede a marker.
  while (jpeg[pos + 1] === 0xff) pos++;
  if (pos + 1 >= jpeg.length) {
    throw new Error(`Missing EOI: data ends at offset ${jpeg.length} inside a marker`);
  }
  if (jpeg[pos + 1] === 0x00) {
    throw new Error(`Corrupt JPEG: stuffed byte FF00 outside entropy-coded data at offset ${pos}`);
  }
  return pos;
}

/**
 * Returns the offset of the first real marker after a scan's entropy-coded data.
 * Inside that data 0xFF00 is a stuffed 0xFF and RST0–RST7 are restart markers;
 * neither ends the scan.
 */
function skipEntropyCodedData(jpeg: Uint8Array, pos: number, sosOffset: number): number {
  while (pos + 1 < jpeg.length) {
    if (jpeg[pos] !== 0xff) {
      pos = jpeg.indexOf(0xff, pos + 1); // native search: most of a scan is data bytes
      if (pos < 0) break;
      continue;
    }
    const next = jpeg[pos + 1];
    if (next === 0x00 || isRestart(next)) pos += 2;
    else if (next === 0xff) pos++; // fill byte: the marker it pads may still be an RST
    else return pos;
  }
  throw new Error(
    `Missing EOI: entropy-coded data of the scan at offset ${sosOffset} runs to the end of the data (offset ${jpeg.length})`,
  );
}

function markerName(marker: number): string {
  const fixed = FIXED_NAMES[marker];
  if (fixed) return fixed;
  if (isApp(marker)) return `APP${marker - APP0}`;
  if (isRestart(marker)) return `RST${marker - 0xd0}`;
  if (marker >= 0xc0 && marker <= 0xcf) return `SOF${marker - 0xc0}`;
  if (marker >= 0xf0 && marker <= 0xfd) return `JPG${marker - 0xf0}`;
  return `RES${marker.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Markers without a length field (T.81 B.1.1.3). */
function isStandalone(marker: number): boolean {
  return marker === SOI || marker === EOI || marker === 0x01 || isRestart(marker);
}

function isApp(marker: number): boolean {
  return marker >= APP0 && marker <= 0xef;
}

function isRestart(marker: number): boolean {
  return marker >= 0xd0 && marker <= 0xd7;
}

/** The id at the start of an APPn payload ends at its NUL; stopping at any non-printable byte also keeps binary out of logs. */
function leadingAscii(jpeg: Uint8Array, start: number, end: number): string {
  const limit = Math.min(end, start + MAX_IDENTIFIER_LENGTH);
  let pos = start;
  while (pos < limit && jpeg[pos] >= 0x20 && jpeg[pos] <= 0x7e) pos++;
  return String.fromCharCode(...jpeg.subarray(start, pos));
}

function hexBytes(bytes: Uint8Array, start: number, count: number): string {
  const slice = bytes.subarray(start, start + count);
  if (slice.length === 0) return 'end of data';
  return Array.from(slice, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}
