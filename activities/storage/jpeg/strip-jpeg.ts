/**
 * Lossless JPEG de-identification: rewrites the file as a canonical writer would from the same
 * coefficients and tables, so it holds only what its decoder uses and the pixels are untouched.
 *
 * Written, in libjpeg's order: SOI, one JFIF APP0 (without its thumbnail), an Adobe APP14 where
 * decoders need its colour transform (`keepAdobe`), the quantisation tables the frame's components
 * latch, SOFn, then per scan the Huffman tables it reads (only when they differ from the ones
 * already written: tables may be redefined between scans), DRI when the restart interval changes,
 * SOS, and the scan's entropy-coded data cut to the bits the decoder consumes (`rewriteScan`),
 * then EOI. Everything else is dropped and named: APPn (Exif, XMP, ICC, Photoshop/IPTC, MPF, maker
 * data, JFXX thumbnails), COM, DNL, tables no scan reads, bytes inside a scan after its last MCU,
 * fill bytes and anything after EOI. Arithmetic-coded, lossless and hierarchical JPEGs, and any
 * structure the rewriter cannot account for, throw UnsupportedJpeg (the caller re-encodes).
 *
 * The pixels stay as stored, so a file whose EXIF orientation is not 1, or whose embedded ICC
 * profile is not sRGB, decodes differently once its metadata is gone: `needsPixelTransform`
 * says when the caller has to decode, transform and re-encode instead.
 */
import { APP0, APP1, APP14, APP2, COM, EOI, readJpegSegments, SOI, SOS, type JpegSegment } from './jpeg-segments.ts';
import {
  markerSegment,
  readFrameHeader,
  readHuffmanTables,
  readQuantTables,
  readRestartInterval,
  readScanHeader,
  type FrameHeader,
  type ScanHeader,
} from './jpeg-headers.ts';
import { frameGeometry, huffmanDecoder, recutScan, rewriteScan, type CoefficientState, type HuffmanDecoder } from './scan-decoder.ts';
import { iccIsSrgb as colorimetricSrgb } from './icc-srgb.ts';
import { UnsupportedJpeg } from './unsupported-jpeg.ts';

export { UnsupportedJpeg };

const DQT = 0xdb;
const DHT = 0xc4;
const DRI = 0xdd;
const DNL = 0xdc;
const XMP_NAMESPACE = 'http://ns.adobe.com/xap/1.0/';
const JFIF_PAYLOAD_LENGTH = 14; // 'JFIF\0', version, units, Xdensity, Ydensity, Xthumbnail, Ythumbnail
const ADOBE_PAYLOAD_LENGTH = 12; // 'Adobe', version, flags0, flags1, transform
const ICC_HEADER = 'ICC_PROFILE\0';

export interface StrippedJpeg {
  jpeg: Buffer;
  /**
   * Names (never values) of what was dropped, e.g. 'APP1:Exif', 'COM', 'DNL', 'DHT:unused',
   * 'entropy-coded-padding', 'trailing-bytes'; de-duplicated and sorted.
   */
  removed: string[];
  /**
   * Per scan, the bits its decoder consumes in each restart interval: the proof that lets
   * `verifyClean` check these bytes without decoding them again. It holds for `jpeg` only.
   */
  scanBits: number[][];
}

interface HuffmanTable {
  bytes: Buffer;
  /** Not built when the scans are cut by a proof: nothing is decoded. */
  decoder?: HuffmanDecoder;
}

/** One scan as it will be written: the tables it reads and its cut entropy-coded data. */
interface ScanPlan {
  header: ScanHeader;
  /** Frame components whose quantisation table is latched at this scan (their first). */
  latching: number[];
  dc: Map<number, Buffer>;
  ac: Map<number, Buffer>;
  restartInterval: number;
  data: Buffer;
}

export function stripJpeg(jpeg: Uint8Array): StrippedJpeg {
  return rewriteJpeg(jpeg);
}

/**
 * `stripJpeg`; with `scanBits`, each scan is cut to the bits given instead of the bits a decode
 * finds, which writes the same bytes when they are the scans those bits were decoded from.
 */
function rewriteJpeg(jpeg: Uint8Array, scanBits?: readonly (readonly number[])[]): StrippedJpeg {
  const segments = readJpegSegments(jpeg);
  const jfifAt = jfifIndex(segments);
  const removed = new Set<string>();
  const header: Uint8Array[] = [Buffer.from([0xff, SOI])];
  let frame: FrameHeader | undefined;
  let frameSegment: Uint8Array | undefined;
  const quant: (Buffer | undefined)[] = [];
  const dc: (HuffmanTable | undefined)[] = [];
  const ac: (HuffmanTable | undefined)[] = [];
  const latched: (Buffer | undefined)[] = [];
  const state: CoefficientState = [];
  const scans: ScanPlan[] = [];
  const bits: number[][] = [];
  const defined = { quant: 0, huffman: 0 };
  let restartInterval = 0;

  segments.forEach((s, i) => {
    const bytes = jpeg.subarray(s.offset, s.offset + s.length);
    if (s.marker === SOI || s.marker === EOI) return;
    if (s.marker === DQT) {
      for (const t of readQuantTables(bytes)) {
        quant[t.slot] = t.bytes;
        defined.quant++;
      }
    } else if (s.marker === DHT) {
      for (const t of readHuffmanTables(bytes)) {
        (t.tableClass === 0 ? dc : ac)[t.slot] = { bytes: t.bytes, decoder: scanBits ? undefined : huffmanDecoder(t.bytes) };
        defined.huffman++;
      }
    } else if (s.marker === DRI) {
      restartInterval = readRestartInterval(bytes);
    } else if (s.marker === DNL) {
      removed.add('DNL'); // the frame's height is never 0 here (readFrameHeader), so DNL says nothing a decoder uses
    } else if (isFrame(s.marker)) {
      if (frame) throw new UnsupportedJpeg(`second frame header ${s.name} at offset ${s.offset}`);
      frame = readFrameHeader(bytes);
      frameSegment = bytes;
    } else if (s.marker === SOS) {
      if (!frame) throw new UnsupportedJpeg(`scan at offset ${s.offset} before any frame header`);
      const scan = readScanHeader(bytes, frame);
      const latching = scan.components.map((c) => c.index).filter((c) => latched[c] === undefined);
      for (const c of latching) {
        const table = quant[frame.components[c].quantSlot];
        if (!table) throw new UnsupportedJpeg(`component ${frame.components[c].id} uses quantisation table ${frame.components[c].quantSlot}, which is not defined`);
        latched[c] = table;
      }
      const uses = tablesRead(frame, scan);
      const raw = jpeg.subarray(s.offset + s.length, segments[i + 1].offset);
      let data: Buffer;
      if (scanBits) {
        const given = scanBits[bits.length];
        if (!given) throw new UnsupportedJpeg(`scan ${bits.length + 1} at offset ${s.offset} is not in the proof of ${scanBits.length} scans`);
        data = recutScan(raw, given);
        bits.push([...given]);
      } else {
        const rewritten = rewriteScan(raw, frame, frameGeometry(frame), scan, { dc: dc.map((t) => t?.decoder), ac: ac.map((t) => t?.decoder) }, restartInterval, state);
        bits.push(rewritten.bits);
        data = rewritten.data;
      }
      if (!data.equals(raw)) removed.add('entropy-coded-padding');
      scans.push({
        header: scan,
        latching,
        dc: new Map(uses.dc.map((slot) => [slot, dc[slot]!.bytes])),
        ac: new Map(uses.ac.map((slot) => [slot, ac[slot]!.bytes])),
        restartInterval,
        data,
      });
    } else if (i === jfifAt) {
      if (s.length > 4 + JFIF_PAYLOAD_LENGTH) removed.add('APP0:JFIF-thumbnail');
      header.splice(1, 0, jfifWithoutThumbnail(jpeg, s));
    } else if (s.marker === APP14 && s.identifier === 'Adobe' && keepAdobe(jpeg, s, readFrame(jpeg, segments), jfifAt !== undefined)) {
      header.push(adobeSegment(jpeg[s.offset + 4 + ADOBE_PAYLOAD_LENGTH - 1]));
    } else if (isApp(s.marker) || s.marker === COM) {
      removed.add(s.identifier ? `${s.name}:${s.identifier}` : s.name);
    } else {
      throw new UnsupportedJpeg(`unsupported JPEG marker ${s.name} (FF${hex(s.marker)}) at offset ${s.offset}: cannot strip losslessly`);
    }
  });
  if (!frame || !frameSegment || scans.length === 0) throw new UnsupportedJpeg('JPEG has no frame or no scan');
  if (scanBits && scanBits.length !== scans.length) throw new UnsupportedJpeg(`${scans.length} scans where the proof has ${scanBits.length}`);
  frame.components.forEach((c, index) => {
    if (latched[index] === undefined) throw new UnsupportedJpeg(`frame component ${c.id} is in no scan`);
  });

  const out = [...header];
  const written = { quant: 0, huffman: 0 };
  const current = { quant: [] as (Buffer | undefined)[], dc: [] as (Buffer | undefined)[], ac: [] as (Buffer | undefined)[], restartInterval: 0 };
  const writeQuant = (component: number) => {
    const table = latched[component]!;
    const slot = frame!.components[component].quantSlot;
    if (current.quant[slot]?.equals(table)) return;
    out.push(markerSegment(DQT, table));
    current.quant[slot] = table;
    written.quant++;
  };
  const writeHuffman = (kind: 'dc' | 'ac', slot: number, table: Buffer) => {
    if (current[kind][slot]?.equals(table)) return;
    out.push(markerSegment(DHT, table));
    current[kind][slot] = table;
    written.huffman++;
  };
  // libjpeg writes every component's table before SOF; one latched later from a redefined slot waits for its scan.
  frame.components.forEach((c, index) => {
    if (current.quant[c.quantSlot] === undefined) writeQuant(index);
  });
  out.push(frameSegment);
  for (const scan of scans) {
    for (const c of scan.latching) writeQuant(c);
    for (const c of scan.header.components) {
      const dcTable = scan.dc.get(c.dcSlot);
      if (dcTable) writeHuffman('dc', c.dcSlot, dcTable);
      const acTable = scan.ac.get(c.acSlot);
      if (acTable) writeHuffman('ac', c.acSlot, acTable);
    }
    if (scan.restartInterval !== current.restartInterval) {
      out.push(markerSegment(DRI, Buffer.from([scan.restartInterval >> 8, scan.restartInterval & 0xff])));
      current.restartInterval = scan.restartInterval;
    }
    out.push(scanHeaderSegment(frame, scan), scan.data);
  }
  out.push(Buffer.from([0xff, EOI]));

  if (written.quant < defined.quant) removed.add('DQT:unused');
  if (written.huffman < defined.huffman) removed.add('DHT:unused');
  const eoi = segments.at(-1)!;
  if (eoi.offset + eoi.length < jpeg.length) removed.add('trailing-bytes');
  return { jpeg: Buffer.concat(out), removed: [...removed].sort(), scanBits: bits };
}

/** Huffman table slots a scan reads: DC for a sequential scan and a first DC pass, AC for sequential and AC scans. */
function tablesRead(frame: FrameHeader, scan: ScanHeader): { dc: number[]; ac: number[] } {
  const readsDc = !frame.progressive || (scan.ss === 0 && scan.ah === 0);
  const readsAc = !frame.progressive || scan.ss > 0;
  return {
    dc: readsDc ? scan.components.map((c) => c.dcSlot) : [],
    ac: readsAc ? scan.components.map((c) => c.acSlot) : [],
  };
}

/** SOS with the table selectors a scan does not read set to 0, as libjpeg writes them. */
function scanHeaderSegment(frame: FrameHeader, scan: ScanPlan): Buffer {
  const h = scan.header;
  const body = [h.components.length];
  for (const c of h.components) {
    const id = frame.components[c.index].id;
    body.push(id, ((scan.dc.has(c.dcSlot) ? c.dcSlot : 0) << 4) | (scan.ac.has(c.acSlot) ? c.acSlot : 0));
  }
  body.push(h.ss, h.se, (h.ah << 4) | h.al);
  return markerSegment(SOS, Buffer.from(body));
}

function isFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== 0xcc;
}

export interface PixelTransformNeeds {
  /** EXIF IFD0 Orientation (1-8); 1 when absent or invalid (decoders ignore invalid values). */
  orientation: number;
  /** True when there is no embedded ICC profile, or its primaries and tone curves are sRGB's (`icc-srgb.ts`), whatever its name. */
  iccIsSrgb: boolean;
  /** Why the stored pixels are not the upright sRGB pixels; empty when `stripJpeg` alone is enough. */
  reasons: string[];
}

/**
 * Tells whether the stored pixels differ from what a viewer shows once metadata is gone.
 * A profile is sRGB by its primaries and tone curves, never by its name: one called "sRGB" that
 * is not goes down the convert path, so it displays as its author meant once the profile is gone.
 */
export function needsPixelTransform(jpeg: Uint8Array): PixelTransformNeeds {
  const segments = readJpegSegments(jpeg);
  const reasons: string[] = [];

  const orientations = segments
    .filter((s) => s.marker === APP1 && s.identifier === 'Exif')
    .map((s) => exifOrientation(jpeg.subarray(s.offset + 4, s.offset + s.length)));
  for (const o of orientations) if (o === 'unreadable') reasons.push('EXIF unreadable');
  const values = [...new Set(orientations.filter((o): o is number => typeof o === 'number'))];
  if (values.length > 1) reasons.push(`conflicting EXIF orientations ${values.join(', ')}`);
  const orientation = values.length === 1 && values[0] >= 1 && values[0] <= 8 ? values[0] : 1;
  if (orientation !== 1) reasons.push(`orientation ${orientation}`);

  let iccIsSrgb = true;
  const icc = iccProfile(jpeg, segments);
  if (typeof icc === 'string') {
    iccIsSrgb = false;
    reasons.push(icc);
  } else if (icc) {
    iccIsSrgb = colorimetricSrgb(icc);
    if (!iccIsSrgb) {
      const description = iccDescription(icc);
      reasons.push(`ICC profile ${description === undefined ? 'without a description' : JSON.stringify(description)} is not sRGB (primaries or tone curves)`);
    }
  }

  const frame = readFrame(jpeg, segments);
  if (frame.components === 4) reasons.push('4-component (CMYK/YCCK) JPEG');
  return { orientation, iccIsSrgb, reasons };
}

/** Markers of the decoding segments a canonical file holds (besides JFIF and a needed Adobe APP14). */
const DECODING_MARKERS: ReadonlySet<number> = new Set([SOI, EOI, SOS, DQT, DHT, DRI, 0xc0, 0xc1, 0xc2]);

/**
 * Throws, naming the offending segment, unless `jpeg` holds only decoding segments, an optional
 * JFIF APP0 without thumbnail, an Adobe APP14 where `stripJpeg` keeps one, and — only when
 * `allowedApp1Xmp` is given — one XMP APP1 whose packet that callback approves (it returns the
 * disallowed properties). Nothing may sit between segments or after EOI, and the rest must be
 * byte for byte what `stripJpeg` writes: no unused table, no data in a scan past its last MCU.
 * Given `stripJpeg`'s own result, its `scanBits` stand in for decoding the scans again: the
 * headers are still rewritten and compared, each scan is cut to the bits the rewrite decoded.
 */
export function verifyClean(input: Uint8Array | StrippedJpeg, allowedApp1Xmp?: (xmp: string) => string[]): void {
  const jpeg = input instanceof Uint8Array ? input : input.jpeg;
  const segments = readJpegSegments(jpeg);
  const frame = readFrame(jpeg, segments);
  const jfifAt = jfifIndex(segments);
  let xmp: JpegSegment | undefined;
  segments.forEach((s, i) => {
    const where = `${s.identifier ? `${s.name}:${s.identifier}` : s.name} at offset ${s.offset}`;
    if (i > 0) {
      const prev = segments[i - 1];
      const prevEnd = prev.offset + prev.length;
      if (prev.marker !== SOS && s.offset !== prevEnd) throw new Error(`not clean: ${s.offset - prevEnd} stray bytes before ${where}`);
    }
    if (DECODING_MARKERS.has(s.marker)) return;
    if (i === jfifAt) {
      if (s.length !== 4 + JFIF_PAYLOAD_LENGTH || jpeg[s.offset + 16] !== 0 || jpeg[s.offset + 17] !== 0) {
        throw new Error(`not clean: ${where} carries a thumbnail or extra data`);
      }
      return;
    }
    if (s.marker === APP14 && s.identifier === 'Adobe' && keepAdobe(jpeg, s, frame, jfifAt !== undefined)) {
      if (s.length !== 4 + ADOBE_PAYLOAD_LENGTH) throw new Error(`not clean: ${where} carries extra data`);
      return;
    }
    if (allowedApp1Xmp && s.marker === APP1 && s.identifier === XMP_NAMESPACE) {
      if (xmp) throw new Error(`not clean: second XMP ${where}`);
      xmp = s;
      let packet: string;
      try {
        packet = new TextDecoder('utf-8', { fatal: true }).decode(jpeg.subarray(s.offset + 4 + XMP_NAMESPACE.length + 1, s.offset + s.length));
      } catch {
        throw new Error(`not clean: ${where} is not UTF-8`);
      }
      const disallowed = allowedApp1Xmp(packet);
      if (disallowed.length > 0) throw new Error(`not clean: ${where} has disallowed properties ${disallowed.join(', ')}`);
      return;
    }
    throw new Error(`not clean: ${where}`);
  });
  const eoi = segments.at(-1)!;
  const trailing = jpeg.length - (eoi.offset + eoi.length);
  if (trailing > 0) throw new Error(`not clean: ${trailing} trailing bytes after EOI at offset ${eoi.offset}`);

  const withoutXmp = xmp ? Buffer.concat([jpeg.subarray(0, xmp.offset), jpeg.subarray(xmp.offset + xmp.length)]) : Buffer.from(jpeg);
  let canonical: StrippedJpeg;
  try {
    canonical = rewriteJpeg(withoutXmp, input instanceof Uint8Array ? undefined : input.scanBits);
  } catch (err) {
    throw new Error(`not clean: ${(err as Error).message}`);
  }
  if (!canonical.jpeg.equals(withoutXmp)) {
    const what = canonical.removed.length > 0 ? canonical.removed.join(', ') : 'tables or headers out of canonical order';
    throw new Error(`not clean: holds what its decoder does not use (${what})`);
  }
}

// ---- frame and Adobe APP14 ------------------------------------------------------------------

interface Frame {
  components: number;
  /** Component identifiers in frame order, e.g. [1, 2, 3] or [82, 71, 66] ('R', 'G', 'B'). */
  ids: number[];
}

function readFrame(jpeg: Uint8Array, segments: JpegSegment[]): Frame {
  const sof = segments.find((s) => s.marker >= 0xc0 && s.marker <= 0xcf && s.marker !== 0xc4 && s.marker !== 0xc8 && s.marker !== 0xcc);
  if (!sof) throw new UnsupportedJpeg('JPEG has no SOFn frame header');
  const components = jpeg[sof.offset + 9];
  if (sof.length < 10 + 3 * components) throw new UnsupportedJpeg(`${sof.name} at offset ${sof.offset} is shorter than its ${components} components`);
  const ids = Array.from({ length: components }, (_, c) => jpeg[sof.offset + 10 + 3 * c]);
  return { components, ids };
}

/**
 * Adobe APP14 carries the colour-transform flag decoders need to read the samples, so it is
 * decoding data, not metadata, in exactly these cases (libjpeg's colour-space inference):
 * - 4 components: always — the flag tells CMYK (0) from YCCK (2), and Adobe CMYK is stored
 *   inverted, which decoders only assume when the marker is there;
 * - 3 components: when, without it, decoders would guess the other way — transform 0 (RGB stored
 *   as is) on a file that has no JFIF APP0 and component ids other than 'R','G','B', or
 *   transform 1 (YCbCr) on one whose ids are 'R','G','B'.
 * Everywhere else (YCbCr with transform 1, greyscale) it says nothing decoders need and is dropped.
 * When kept it is rewritten to its 12 bytes with only the transform byte preserved.
 */
function keepAdobe(jpeg: Uint8Array, s: JpegSegment, frame: Frame, hasJfif: boolean): boolean {
  if (s.length < 4 + ADOBE_PAYLOAD_LENGTH) return false; // too short to carry a transform: decoders ignore it
  const transform = jpeg[s.offset + 4 + ADOBE_PAYLOAD_LENGTH - 1];
  if (frame.components === 4) return true;
  if (frame.components !== 3) return false;
  const rgbIds = frame.ids[0] === 0x52 && frame.ids[1] === 0x47 && frame.ids[2] === 0x42;
  const withoutAdobe = hasJfif || !rgbIds ? 'YCbCr' : 'RGB';
  const withAdobe = hasJfif ? 'YCbCr' : transform === 0 ? 'RGB' : 'YCbCr';
  return withAdobe !== withoutAdobe;
}

function adobeSegment(transform: number): Buffer {
  // FFEE, length 14, 'Adobe', DCTEncodeVersion 100, APP14Flags0 0, APP14Flags1 0, ColorTransform
  return Buffer.from([0xff, APP14, 0, 2 + ADOBE_PAYLOAD_LENGTH, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, transform]);
}

/**
 * Index of the JFIF APP0 that is kept: the first APP0 'JFIF' long enough for decoders to honour
 * (libjpeg ignores shorter ones, and a JFIF marker changes how 3-component files are read).
 */
function jfifIndex(segments: JpegSegment[]): number | undefined {
  const i = segments.findIndex((s) => s.marker === APP0 && s.identifier === 'JFIF' && s.length >= 4 + JFIF_PAYLOAD_LENGTH);
  return i < 0 ? undefined : i;
}

/** The JFIF APP0 without its optional thumbnail: a small copy of the image made before any crop or redaction. */
function jfifWithoutThumbnail(jpeg: Uint8Array, s: JpegSegment): Buffer {
  const out = Buffer.from(jpeg.subarray(s.offset, s.offset + 4 + JFIF_PAYLOAD_LENGTH));
  out.writeUInt16BE(2 + JFIF_PAYLOAD_LENGTH, 2);
  out[16] = 0; // Xthumbnail
  out[17] = 0; // Ythumbnail
  return out;
}

// ---- EXIF orientation ------------------------------------------------------------------------

/** Reads IFD0 tag 0x0112 from an APP1 payload ('Exif\0\0' + TIFF); undefined when absent. */
function exifOrientation(payload: Uint8Array): number | undefined | 'unreadable' {
  const tiff = payload.subarray(6); // 'Exif\0\0' (some writers put 'Exif\0\xff'; only the TIFF matters)
  if (tiff.length < 8) return 'unreadable';
  const order = String.fromCharCode(tiff[0], tiff[1]);
  if (order !== 'II' && order !== 'MM') return 'unreadable';
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const le = order === 'II';
  if (view.getUint16(2, le) !== 42) return 'unreadable';
  const ifd0 = view.getUint32(4, le);
  if (ifd0 + 2 > tiff.length) return 'unreadable';
  const count = view.getUint16(ifd0, le);
  if (ifd0 + 2 + 12 * count > tiff.length) return 'unreadable';
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + 12 * i;
    if (view.getUint16(entry, le) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, le);
    if (type === 3) return view.getUint16(entry + 8, le); // SHORT, left-justified in the value field
    if (type === 4) return view.getUint32(entry + 8, le); // LONG: non-standard but seen in the wild
    return 'unreadable';
  }
  return undefined;
}

// ---- ICC profile -----------------------------------------------------------------------------

/** The embedded ICC profile reassembled from its APP2 chunks; a string explains why it is unusable. */
function iccProfile(jpeg: Uint8Array, segments: JpegSegment[]): Uint8Array | string | undefined {
  const chunks = segments
    .filter((s) => s.marker === APP2 && s.identifier === 'ICC_PROFILE')
    .map((s) => {
      const header = s.offset + 4 + ICC_HEADER.length;
      return { seq: jpeg[header], total: jpeg[header + 1], data: jpeg.subarray(header + 2, s.offset + s.length) };
    });
  if (chunks.length === 0) return undefined;
  const total = chunks[0].total;
  const bySeq = new Map(chunks.map((c) => [c.seq, c]));
  const complete =
    total > 0 &&
    chunks.length === total &&
    chunks.every((c) => c.total === total) &&
    Array.from({ length: total }, (_, i) => bySeq.has(i + 1)).every(Boolean);
  if (!complete) return 'ICC profile chunks are missing or inconsistent';
  return Buffer.concat(Array.from({ length: total }, (_, i) => bySeq.get(i + 1)!.data));
}

/**
 * The profile's 'desc' tag text: ICC v2 textDescriptionType ('desc': ASCII) or ICC v4
 * multiLocalizedUnicodeType ('mluc': UTF-16BE records, joined with ' / ').
 */
function iccDescription(icc: Uint8Array): string | undefined {
  if (icc.length < 132) return undefined;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const tagCount = view.getUint32(128);
  for (let i = 0; i < tagCount && 132 + 12 * (i + 1) <= icc.length; i++) {
    const entry = 132 + 12 * i;
    if (ascii(icc, entry, 4) !== 'desc') continue;
    const at = view.getUint32(entry + 4);
    const size = view.getUint32(entry + 8);
    if (at + size > icc.length || size < 12) return undefined;
    const type = ascii(icc, at, 4);
    if (type === 'desc') {
      const n = view.getUint32(at + 8);
      if (12 + n > size) return undefined;
      return Buffer.from(icc.subarray(at + 12, at + 12 + n)).toString('latin1').replace(/\0+$/, '');
    }
    if (type === 'mluc') {
      const records = view.getUint32(at + 8);
      const recordSize = view.getUint32(at + 12);
      const texts: string[] = [];
      for (let r = 0; r < records; r++) {
        const rec = at + 16 + r * recordSize;
        if (rec + 12 > at + size) return undefined;
        const length = view.getUint32(rec + 4);
        const offset = view.getUint32(rec + 8);
        if (offset + length > size || length % 2 !== 0) return undefined;
        texts.push(Buffer.from(icc.subarray(at + offset, at + offset + length)).swap16().toString('utf16le'));
      }
      return [...new Set(texts)].join(' / ');
    }
    return undefined;
  }
  return undefined;
}

function ascii(bytes: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + n));
}

function isApp(marker: number): boolean {
  return marker >= APP0 && marker <= 0xef;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
