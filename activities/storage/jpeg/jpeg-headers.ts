/**
 * Strict readers of the JPEG headers a decoder acts on (ITU-T T.81 B.2.2-B.2.4): frame (SOFn),
 * scan (SOS), quantisation tables (DQT), Huffman tables (DHT) and restart interval (DRI). A
 * segment longer or shorter than its content is refused, as libjpeg does, so no byte of a kept
 * header goes unread.
 */
import { UnsupportedJpeg } from './unsupported-jpeg.ts';

export interface FrameComponent {
  id: number;
  h: number;
  v: number;
  quantSlot: number;
}

export interface FrameHeader {
  marker: number;
  precision: number;
  height: number;
  width: number;
  components: FrameComponent[];
  progressive: boolean;
}

export interface ScanComponent {
  /** Index into the frame's components. */
  index: number;
  dcSlot: number;
  acSlot: number;
}

export interface ScanHeader {
  components: ScanComponent[];
  ss: number;
  se: number;
  ah: number;
  al: number;
}

export interface TableDefinition {
  /** DQT: 0; DHT: 0 for DC, 1 for AC. */
  tableClass: number;
  slot: number;
  /** The table's bytes as written in its segment, from the Pq/Tq (Tc/Th) byte on. */
  bytes: Buffer;
}

/** Sequential and progressive Huffman frames; arithmetic, lossless and hierarchical ones are not rewritten. */
const HUFFMAN_DCT_FRAMES = new Set([0xc0, 0xc1, 0xc2]);

/** `segment` is the whole segment from its FF; the payload starts after the 2-byte length. */
export function readFrameHeader(segment: Uint8Array): FrameHeader {
  const marker = segment[1];
  if (!HUFFMAN_DCT_FRAMES.has(marker)) throw new UnsupportedJpeg(`frame type SOF${marker - 0xc0} is not a Huffman-coded DCT frame`);
  const p = payload(segment);
  if (p.length < 6) throw new UnsupportedJpeg('SOF segment too short');
  const count = p[5];
  if (count < 1 || count > 4 || p.length !== 6 + 3 * count) throw new UnsupportedJpeg(`SOF segment length does not match its ${count} components`);
  const components = Array.from({ length: count }, (_, c) => {
    const at = 6 + 3 * c;
    return { id: p[at], h: p[at + 1] >> 4, v: p[at + 1] & 15, quantSlot: p[at + 2] };
  });
  for (const c of components) {
    if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.quantSlot > 3) throw new UnsupportedJpeg(`SOF component ${c.id} has invalid sampling or table`);
  }
  if (new Set(components.map((c) => c.id)).size !== count) throw new UnsupportedJpeg('SOF repeats a component id');
  const height = (p[1] << 8) | p[2];
  const width = (p[3] << 8) | p[4];
  // Height 0 means "given by a DNL segment after the first scan": libjpeg does not support it.
  if (height === 0 || width === 0) throw new UnsupportedJpeg('frame with zero height (DNL) or width');
  return { marker, precision: p[0], height, width, components, progressive: marker === 0xc2 };
}

export function readScanHeader(segment: Uint8Array, frame: FrameHeader): ScanHeader {
  const p = payload(segment);
  const count = p[0] ?? 0;
  if (count < 1 || count > 4 || p.length !== 4 + 2 * count) throw new UnsupportedJpeg('SOS segment length does not match its components');
  const components = Array.from({ length: count }, (_, c) => {
    const id = p[1 + 2 * c];
    const index = frame.components.findIndex((f) => f.id === id);
    if (index < 0) throw new UnsupportedJpeg(`scan names component ${id}, which the frame lacks`);
    return { index, dcSlot: p[2 + 2 * c] >> 4, acSlot: p[2 + 2 * c] & 15 };
  });
  if (new Set(components.map((c) => c.index)).size !== count) throw new UnsupportedJpeg('scan repeats a component');
  const at = 1 + 2 * count;
  const scan = { components, ss: p[at], se: p[at + 1], ah: p[at + 2] >> 4, al: p[at + 2] & 15 };
  for (const c of components) if (c.dcSlot > 3 || c.acSlot > 3) throw new UnsupportedJpeg('scan names a Huffman table slot above 3');
  if (frame.progressive) {
    const dc = scan.ss === 0;
    if ((dc && scan.se !== 0) || (!dc && (scan.se < scan.ss || scan.se > 63 || count !== 1)) || scan.al > 13 || scan.ah > 13) {
      throw new UnsupportedJpeg(`invalid progressive scan parameters Ss=${scan.ss} Se=${scan.se} Ah=${scan.ah} Al=${scan.al}`);
    }
  } else if (scan.ss !== 0 || scan.se !== 63 || scan.ah !== 0 || scan.al !== 0) {
    throw new UnsupportedJpeg('sequential scan with spectral selection or successive approximation');
  }
  const blocksPerMcu = count === 1 ? 1 : components.reduce((n, c) => n + frame.components[c.index].h * frame.components[c.index].v, 0);
  if (blocksPerMcu > 10) throw new UnsupportedJpeg('scan has more than 10 blocks per MCU');
  return scan;
}

export function readQuantTables(segment: Uint8Array): TableDefinition[] {
  const p = payload(segment);
  const tables: TableDefinition[] = [];
  for (let at = 0; at < p.length; ) {
    const precision = p[at] >> 4;
    const slot = p[at] & 15;
    const size = 1 + (precision === 0 ? 64 : 128);
    if (precision > 1 || slot > 3 || at + size > p.length) throw new UnsupportedJpeg('DQT segment holds an invalid or cut table');
    tables.push({ tableClass: 0, slot, bytes: Buffer.from(p.subarray(at, at + size)) });
    at += size;
  }
  if (tables.length === 0) throw new UnsupportedJpeg('empty DQT segment');
  return tables;
}

export function readHuffmanTables(segment: Uint8Array): TableDefinition[] {
  const p = payload(segment);
  const tables: TableDefinition[] = [];
  for (let at = 0; at < p.length; ) {
    const tableClass = p[at] >> 4;
    const slot = p[at] & 15;
    if (tableClass > 1 || slot > 3 || at + 17 > p.length) throw new UnsupportedJpeg('DHT segment holds an invalid or cut table');
    let symbols = 0;
    for (let i = 1; i <= 16; i++) symbols += p[at + i];
    const size = 17 + symbols;
    if (symbols > 256 || at + size > p.length) throw new UnsupportedJpeg('DHT segment holds a cut table');
    tables.push({ tableClass, slot, bytes: Buffer.from(p.subarray(at, at + size)) });
    at += size;
  }
  if (tables.length === 0) throw new UnsupportedJpeg('empty DHT segment');
  return tables;
}

export function readRestartInterval(segment: Uint8Array): number {
  const p = payload(segment);
  if (p.length !== 2) throw new UnsupportedJpeg('DRI segment is not 4 bytes long');
  return (p[0] << 8) | p[1];
}

/** One marker segment: FF, marker, big-endian length (2 + payload), payload. */
export function markerSegment(marker: number, body: Uint8Array): Buffer {
  const length = body.length + 2;
  return Buffer.concat([Buffer.from([0xff, marker, length >> 8, length & 0xff]), body]);
}

function payload(segment: Uint8Array): Uint8Array {
  return segment.subarray(4, 2 + ((segment[2] << 8) | segment[3]));
}
