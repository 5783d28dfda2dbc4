/**
 * JPEGs built to hide a value where a careless lossless strip would copy it: segments a decoder
 * skips or never reads (DNL, tables no scan uses, a table redefined before any scan reads it) and
 * bytes inside a scan's entropy-coded data that the decoder never consumes. Each planter returns a
 * file libjpeg still decodes to the same pixels as the file it was given.
 */
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { markerSegment } from '../../activities/storage/jpeg/jpeg-headers.ts';

const DQT = 0xdb;
const DHT = 0xc4;
const SOS = 0xda;

function insertAt(jpeg: Uint8Array, offset: number, ...parts: Uint8Array[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, offset), ...parts, jpeg.subarray(offset)]);
}

/** The value's bytes with every 0xFF removed (so it can sit inside entropy-coded data). */
function ascii(value: string): Buffer {
  return Buffer.from(Buffer.from(value, 'latin1').filter((b) => b !== 0xff));
}

/** A DNL segment after the first scan, its (ignored) payload longer than the 2 bytes of a line count. */
export function plantInDnl(jpeg: Uint8Array, value: string): Buffer {
  const segments = readJpegSegments(jpeg);
  const afterScan = segments[segments.findIndex((s) => s.marker === SOS) + 1];
  return insertAt(jpeg, afterScan.offset, markerSegment(0xdc, Buffer.concat([Buffer.from([0, 8]), ascii(value)])));
}

/** A quantisation table in slot 3, which no component of these files uses, holding the value. */
export function plantInUnusedQuantTable(jpeg: Uint8Array, value: string): Buffer {
  const table = Buffer.alloc(65, 1);
  table[0] = 0x03;
  ascii(value).copy(table, 1, 0, 64);
  const firstDqt = readJpegSegments(jpeg).find((s) => s.marker === DQT)!;
  return insertAt(jpeg, firstDqt.offset, markerSegment(DQT, table));
}

/** A valid Huffman table (AC, slot 3: unused) whose symbols spell the value, all codes 8 bits long. */
export function plantInUnusedHuffmanTable(jpeg: Uint8Array, value: string): Buffer {
  return insertAt(jpeg, firstScan(jpeg).offset, markerSegment(DHT, huffmanTable(0x13, ascii(value))));
}

/**
 * An AC table in slot 0 holding the value, defined before the file's own slot-0 AC table: the
 * file's table replaces it before any scan reads it.
 */
export function plantInShadowedHuffmanTable(jpeg: Uint8Array, value: string): Buffer {
  const firstDht = readJpegSegments(jpeg).find((s) => s.marker === DHT)!;
  return insertAt(jpeg, firstDht.offset, markerSegment(DHT, huffmanTable(0x10, ascii(value))));
}

/** The value inside the last scan's entropy-coded data, after its last MCU and before EOI. */
export function plantBeforeEoi(jpeg: Uint8Array, value: string): Buffer {
  const eoi = readJpegSegments(jpeg).at(-1)!;
  return insertAt(jpeg, eoi.offset, ascii(value));
}

/** The value before every RSTn of a restart-interval file: bytes after each interval's last MCU. */
export function plantBeforeRestarts(jpeg: Uint8Array, value: string): Buffer {
  const scan = firstScan(jpeg);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = scan.offset + scan.length; i + 1 < jpeg.length; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1] >= 0xd0 && jpeg[i + 1] <= 0xd7) {
      parts.push(jpeg.subarray(from, i), ascii(value));
      from = i;
    }
  }
  parts.push(jpeg.subarray(from));
  return Buffer.concat(parts);
}

function firstScan(jpeg: Uint8Array) {
  return readJpegSegments(jpeg).find((s) => s.marker === SOS)!;
}

function huffmanTable(classAndSlot: number, symbols: Buffer): Buffer {
  const counts = new Array<number>(16).fill(0);
  counts[7] = symbols.length;
  return Buffer.from([classAndSlot, ...counts, ...symbols]);
}

/**
 * A real baseline greyscale JPEG with a restart interval, encoded here because sharp cannot
 * write DRI: quantised coefficients are generated directly (no DCT needed), Huffman-coded with
 * simple fixed-length tables, and every `interval` MCUs the bit stream is padded with 1-bits,
 * an RSTn marker (n cycling 0-7) is written and the DC predictor restarts.
 */
export function restartIntervalJpeg(width = 64, height = 48, interval = 5): Buffer {
  const dcSymbols = Array.from({ length: 12 }, (_, i) => i);
  const acSymbols = [0x00, 0xf0];
  for (let run = 0; run < 16; run++) for (let size = 1; size <= 10; size++) acSymbols.push((run << 4) | size);
  const counts = (length: number, n: number) => Array.from({ length: 16 }, (_, i) => (i === length - 1 ? n : 0));
  // All codes of one length: the canonical code of the i-th symbol is simply i.
  const dcCode = (category: number) => [category, 4] as const;
  const acCode = (symbol: number) => [acSymbols.indexOf(symbol), 8] as const;

  const data: number[] = [];
  let acc = 0;
  let bits = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        data.push(acc);
        if (acc === 0xff) data.push(0x00); // byte stuffing
        acc = 0;
        bits = 0;
      }
    }
  };
  const padToByte = () => {
    while (bits !== 0) put(1, 1);
  };
  const category = (v: number) => (v === 0 ? 0 : Math.floor(Math.log2(Math.abs(v))) + 1);
  const putValue = (v: number, size: number) => put(v >= 0 ? v : v + (1 << size) - 1, size);

  const blocksX = width / 8;
  const mcus = blocksX * (height / 8);
  let predictor = 0;
  for (let m = 0; m < mcus; m++) {
    if (m > 0 && m % interval === 0) {
      padToByte();
      data.push(0xff, 0xd0 + ((m / interval - 1) % 8));
      predictor = 0;
    }
    const bx = m % blocksX;
    const by = Math.floor(m / blocksX);
    const coefficients = new Array<number>(64).fill(0); // zig-zag order
    coefficients[0] = Math.round(120 * Math.sin(bx * 0.9 + by * 0.4));
    for (let k = 1; k < 12; k++) coefficients[k] = ((bx * 7 + by * 13 + k * 5) % 11) - 5;
    coefficients[40] = (bx + by) % 3 === 0 ? 9 : 0;

    const diff = coefficients[0] - predictor;
    predictor = coefficients[0];
    put(...dcCode(category(diff)));
    putValue(diff, category(diff));
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const v = coefficients[k];
      if (v === 0) {
        run++;
        continue;
      }
      for (; run > 15; run -= 16) put(...acCode(0xf0));
      put(...acCode((run << 4) | category(v)));
      putValue(v, category(v));
      run = 0;
    }
    if (run > 0) put(...acCode(0x00)); // EOB
  }
  padToByte();

  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    markerSegment(0xdb, Buffer.from([0x00, ...new Array(64).fill(4)])),
    markerSegment(0xc0, Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0])),
    markerSegment(0xc4, Buffer.from([0x00, ...counts(4, dcSymbols.length), ...dcSymbols])),
    markerSegment(0xc4, Buffer.from([0x10, ...counts(8, acSymbols.length), ...acSymbols])),
    markerSegment(0xdd, Buffer.from([interval >> 8, interval & 0xff])),
    markerSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.from(data),
    Buffer.from([0xff, 0xd9]),
  ]);
}


/**
 * A flat grey greyscale JPEG of `width` × `height` pixels, complete and valid, in a few bytes per
 * thousand blocks: each Huffman table has one 1-bit code (DC difference 0, end of block), so every
 * block is two 0-bits. Large enough in pixels to pass every header check and then be refused by a
 * decoder's pixel limit when it is decoded in full.
 */
export function flatGreyJpeg(width: number, height: number): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const oneCodeTable = (classAndSlot: number) => Buffer.from([classAndSlot, 1, ...new Array(15).fill(0), 0]);
  const quant = Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)]);
  const frame = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    markerSegment(DQT, quant),
    markerSegment(0xc0, frame),
    markerSegment(DHT, Buffer.concat([oneCodeTable(0x00), oneCodeTable(0x10)])),
    markerSegment(SOS, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.alloc(Math.ceil(blocks / 4)),
    Buffer.from([0xff, 0xd9]),
  ]);
}
