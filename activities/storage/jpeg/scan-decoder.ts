/**
 * Decodes the Huffman symbols of one scan (T.81 F.2, G.2; libjpeg's jdhuff/jdphuff) only to learn
 * how many bits of each restart interval the decoder consumes, and re-emits exactly those bits:
 * the rest of the last byte padded with 1-bits, 0xFF stuffed, RSTn numbered 0-7, as an encoder
 * writes them. Whatever a file holds after a scan's last MCU (or an interval's) is never read by a
 * decoder, so it is not copied. Coefficient values are not kept, only which AC coefficients of a
 * progressive image are non-zero, because refinement scans read correction bits for exactly those.
 */
import type { FrameHeader, ScanHeader } from './jpeg-headers.ts';
import { UnsupportedJpeg } from './unsupported-jpeg.ts';

/** Canonical Huffman decoding tables (T.81 C, F.2.2.3) with a 9-bit look-up for short codes. */
export interface HuffmanDecoder {
  fast: Uint16Array;
  maxCode: Int32Array;
  valueOffset: Int32Array;
  symbols: Uint8Array;
}

const FAST_BITS = 9;

/** `definition` is a DHT table from its Tc/Th byte: 16 counts, then the symbols. */
export function huffmanDecoder(definition: Uint8Array): HuffmanDecoder {
  const symbols = definition.subarray(17);
  const fast = new Uint16Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valueOffset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const count = definition[length];
    valueOffset[length] = k - code;
    for (let i = 0; i < count; i++, k++, code++) {
      if (length <= FAST_BITS) {
        const shift = FAST_BITS - length;
        for (let fill = 0; fill < 1 << shift; fill++) fast[(code << shift) | fill] = (length << 8) | symbols[k];
      }
    }
    if (count > 0) maxCode[length] = code - 1;
    if (code > 1 << length) throw new UnsupportedJpeg('Huffman table with more codes than its lengths allow');
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: no code is longer than 16 bits
  return { fast, maxCode, valueOffset, symbols };
}

/** An entropy-coded interval: its data bytes with stuffing removed, and the bits read so far. */
class BitReader {
  position = 0;
  private readonly limit: number;
  /** `data` is followed by at least 3 zero bytes in its buffer, so a peek never reads past it. */
  constructor(private readonly data: Uint8Array, length: number) {
    this.limit = length * 8;
  }

  /** The next 16 bits (zeros past the end: a read that needs them throws in `skip`). */
  private peek16(): number {
    const byte = this.position >> 3;
    const d = this.data;
    const word = (d[byte] << 16) | (d[byte + 1] << 8) | d[byte + 2];
    return (word >> (8 - (this.position & 7))) & 0xffff;
  }

  private skip(bits: number): void {
    this.position += bits;
    if (this.position > this.limit) throw new UnsupportedJpeg('entropy-coded data ends inside an MCU');
  }

  bits(n: number): number {
    if (n === 0) return 0;
    const value = this.peek16() >> (16 - n);
    this.skip(n);
    return value;
  }

  decode(table: HuffmanDecoder): number {
    const peek = this.peek16();
    const entry = table.fast[peek >> (16 - FAST_BITS)];
    if (entry !== 0) {
      this.skip(entry >> 8);
      return entry & 0xff;
    }
    let length = FAST_BITS + 1;
    while ((peek >> (16 - length)) > table.maxCode[length]) length++;
    if (length > 16) throw new UnsupportedJpeg('entropy-coded data holds a code its Huffman table lacks');
    this.skip(length);
    return table.symbols[table.valueOffset[length] + (peek >> (16 - length))];
  }
}

export interface ScanTables {
  dc: (HuffmanDecoder | undefined)[];
  ac: (HuffmanDecoder | undefined)[];
}

/** Which AC coefficients of each block are non-zero so far, per frame component (progressive only). */
export type CoefficientState = (Uint8Array | undefined)[];

export interface FrameGeometry {
  mcusX: number;
  mcusY: number;
  /** Per frame component: coded blocks across and down in a non-interleaved scan, and blocks per row of the MCU grid. */
  blocksX: number[];
  blocksY: number[];
  gridBlocksX: number[];
  gridBlocksY: number[];
}

export function frameGeometry(frame: FrameHeader): FrameGeometry {
  const hMax = Math.max(...frame.components.map((c) => c.h));
  const vMax = Math.max(...frame.components.map((c) => c.v));
  const mcusX = Math.ceil(frame.width / (8 * hMax));
  const mcusY = Math.ceil(frame.height / (8 * vMax));
  return {
    mcusX,
    mcusY,
    blocksX: frame.components.map((c) => Math.ceil(Math.ceil((frame.width * c.h) / hMax) / 8)),
    blocksY: frame.components.map((c) => Math.ceil(Math.ceil((frame.height * c.v) / vMax) / 8)),
    gridBlocksX: frame.components.map((c) => mcusX * c.h),
    gridBlocksY: frame.components.map((c) => mcusY * c.v),
  };
}

export interface RewrittenScan {
  /** The scan's entropy-coded data as an encoder writes it, RSTn markers included. */
  data: Buffer;
  /** Bits the decoder consumes in each restart interval: what `recutScan` needs to write `data` again without decoding. */
  bits: number[];
}

/**
 * Reads the scan's entropy-coded bytes `raw` (from the end of its SOS header to the next marker
 * that is not RSTn) and returns them cut to what the decoder consumes. Throws UnsupportedJpeg when
 * the data is not a complete, well-formed scan: a decoder would then guess (libjpeg fills in
 * zeros), and such a file is not rewritten losslessly.
 */
export function rewriteScan(
  raw: Uint8Array,
  frame: FrameHeader,
  geometry: FrameGeometry,
  scan: ScanHeader,
  tables: ScanTables,
  restartInterval: number,
  state: CoefficientState,
): RewrittenScan {
  const intervals = splitIntervals(raw);
  const single = scan.components.length === 1;
  const only = scan.components[0].index;
  const totalMcus = single ? geometry.blocksX[only] * geometry.blocksY[only] : geometry.mcusX * geometry.mcusY;
  const perInterval = restartInterval > 0 ? restartInterval : totalMcus;
  const needed = Math.ceil(totalMcus / perInterval);
  checkIntervals(intervals, needed);
  const decodeBlock = frame.progressive ? progressiveBlockDecoder(geometry, scan, tables, state) : undefined;

  // Blocks of one MCU: scan component, and block row/column offsets within the MCU.
  const mcuBlocks: { c: number; v: number; h: number; gridX: number; rows: number; cols: number }[] = [];
  scan.components.forEach((sc, c) => {
    const fc = frame.components[sc.index];
    for (let v = 0; v < fc.v; v++) for (let h = 0; h < fc.h; h++) mcuBlocks.push({ c, v, h, gridX: geometry.gridBlocksX[sc.index], rows: fc.v, cols: fc.h });
  });
  const sequential = frame.progressive ? undefined : sequentialTables(single ? [scan.components[0]] : mcuBlocks.map((b) => scan.components[b.c]), tables);
  const bits: number[] = [];
  for (let i = 0; i < needed; i++) {
    const interval = intervals[i];
    const first = i * perInterval;
    const last = Math.min(totalMcus, first + perInterval);
    if (sequential) {
      bits.push(consumeSequential(interval.data, interval.length, last - first, sequential.dc, sequential.ac));
      continue;
    }
    const reader = new BitReader(interval.data, interval.length);
    const eob = { run: 0 };
    const across = single ? geometry.blocksX[only] : geometry.mcusX;
    for (let m = first; m < last; m++) {
      const row = (m / across) | 0;
      const col = m - row * across;
      if (single) {
        decodeBlock!(reader, 0, row * geometry.gridBlocksX[only] + col, eob);
        continue;
      }
      for (const b of mcuBlocks) decodeBlock!(reader, b.c, (row * b.rows + b.v) * b.gridX + col * b.cols + b.h, eob);
    }
    bits.push(reader.position);
  }
  return { data: emitIntervals(raw, intervals, bits), bits };
}

/**
 * Writes `raw` cut to `bits` per restart interval, as `rewriteScan` does, for a scan whose bits
 * are known from an earlier decode of the same data (the proof `verifyClean` is handed). Throws
 * UnsupportedJpeg when the data has fewer intervals, or an interval fewer bits, than that.
 */
export function recutScan(raw: Uint8Array, bits: readonly number[]): Buffer {
  const intervals = splitIntervals(raw);
  checkIntervals(intervals, bits.length);
  bits.forEach((b, i) => {
    if (b > intervals[i].length * 8) throw new UnsupportedJpeg('entropy-coded data ends inside an MCU');
  });
  return emitIntervals(raw, intervals, bits);
}

/** The scan has the `needed` intervals, opened by RST0-7 in turn. */
function checkIntervals(intervals: Interval[], needed: number): void {
  if (intervals.length < needed) throw new UnsupportedJpeg(`scan ends after ${intervals.length} of ${needed} restart intervals`);
  for (let i = 1; i < needed; i++) {
    if (intervals[i].restart !== (i - 1) % 8) throw new UnsupportedJpeg(`restart marker RST${intervals[i].restart} where RST${(i - 1) % 8} belongs`);
  }
}

/** The first `bits[i]` bits of each interval, with RSTn numbered 0-7 between them; the intervals after those are dropped. */
function emitIntervals(raw: Uint8Array, intervals: Interval[], bits: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(2 * raw.length + 16); // only the bytes written are returned
  let length = 0;
  bits.forEach((b, i) => {
    if (i > 0) {
      out[length++] = 0xff;
      out[length++] = 0xd0 + ((i - 1) % 8);
    }
    length = emitBits(intervals[i].data, b, out, length);
  });
  return out.subarray(0, length);
}

/** Per block of an MCU, the DC and AC table of a sequential scan. */
function sequentialTables(blocks: ScanHeader['components'], tables: ScanTables): { dc: HuffmanDecoder[]; ac: HuffmanDecoder[] } {
  const need = (t: HuffmanDecoder | undefined, kind: string) => {
    if (!t) throw new UnsupportedJpeg(`scan uses a ${kind} Huffman table that is not defined`);
    return t;
  };
  return { dc: blocks.map((c) => need(tables.dc[c.dcSlot], 'DC')), ac: blocks.map((c) => need(tables.ac[c.acSlot], 'AC')) };
}

/**
 * Bits the decoder reads for `mcus` MCUs of a sequential scan (F.2.2): per block a DC category and
 * its bits, then run/size symbols and their bits up to EOB or coefficient 63. This loop is most of
 * the lossless path's time, so it keeps a 32-bit buffer of the next bits in locals (a byte load per
 * 8 bits, not three per symbol), skips each symbol's code and value bits in one shift, and is
 * written out for DC and AC rather than sharing a closure, which kept its state in memory.
 */
function consumeSequential(data: Uint8Array, length: number, mcus: number, dcs: HuffmanDecoder[], acs: HuffmanDecoder[]): number {
  const limit = length * 8;
  const blocks = dcs.length;
  let buf = 0; // the next `count` bits, most significant first
  let count = 0;
  let at = 0; // the next byte to load into `buf`
  for (let m = 0; m < mcus; m++) {
    for (let b = 0; b < blocks; b++) {
      const dc = dcs[b];
      for (; count <= 24; count += 8) buf |= data[at++] << (24 - count);
      let entry = dc.fast[buf >>> (32 - FAST_BITS)];
      let n: number;
      let symbol: number;
      if (entry !== 0) {
        n = entry >> 8;
        symbol = entry & 0xff;
      } else {
        n = slowLength(dc, buf >>> 16);
        symbol = dc.symbols[dc.valueOffset[n] + (buf >>> (32 - n))];
      }
      n += symbol; // the DC difference's bits
      if (n < count) {
        buf <<= n;
        count -= n;
      } else {
        const pos = at * 8 - count + n;
        at = (pos >> 3) + 4;
        buf = word(data, at - 4) << (pos & 7);
        count = 32 - (pos & 7);
      }
      const ac = acs[b];
      const fast = ac.fast;
      for (let k = 1; k < 64; k++) {
        for (; count <= 24; count += 8) buf |= data[at++] << (24 - count);
        entry = fast[buf >>> (32 - FAST_BITS)];
        if (entry !== 0) {
          n = entry >> 8;
          symbol = entry & 0xff;
        } else {
          n = slowLength(ac, buf >>> 16);
          symbol = ac.symbols[ac.valueOffset[n] + (buf >>> (32 - n))];
        }
        const size = symbol & 15;
        n += size;
        if (n < count) {
          buf <<= n;
          count -= n;
        } else {
          const pos = at * 8 - count + n;
          at = (pos >> 3) + 4;
          buf = word(data, at - 4) << (pos & 7);
          count = 32 - (pos & 7);
        }
        if (size === 0) {
          if (symbol !== 0xf0) break;
          k += 15;
          continue;
        }
        k += symbol >> 4;
        if (k > 63) throw new UnsupportedJpeg('AC coefficient index past 63');
      }
      if (at * 8 - count > limit) throw new UnsupportedJpeg('entropy-coded data ends inside an MCU');
    }
  }
  return at * 8 - count;
}

/** Four bytes from `at`, big-endian. */
function word(data: Uint8Array, at: number): number {
  return (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3];
}

/** Length of a code longer than the look-up's bits, from the 16 bits `peek` at its start. */
function slowLength(table: HuffmanDecoder, peek: number): number {
  let n = FAST_BITS + 1;
  while (peek >> (16 - n) > table.maxCode[n]) n++;
  if (n > 16) throw new UnsupportedJpeg('entropy-coded data holds a code its Huffman table lacks');
  return n;
}


type BlockDecoder = (reader: BitReader, scanComponent: number, block: number, eob: { run: number }) => void;

/** Block decoders of the progressive scan kinds (G.1.2): DC first and refinement, AC first and refinement. */
function progressiveBlockDecoder(geometry: FrameGeometry, scan: ScanHeader, tables: ScanTables, state: CoefficientState): BlockDecoder {
  const dc = scan.components.map((c) => tables.dc[c.dcSlot]);
  const ac = scan.components.map((c) => tables.ac[c.acSlot]);
  const need = (t: HuffmanDecoder | undefined, kind: string) => {
    if (!t) throw new UnsupportedJpeg(`scan uses a ${kind} Huffman table that is not defined`);
    return t;
  };
  if (scan.ss === 0) {
    if (scan.ah === 0) {
      const dcT = dc.map((t) => need(t, 'DC'));
      return (reader, c) => void reader.bits(reader.decode(dcT[c]));
    }
    return (reader) => void reader.bits(1);
  }
  const component = scan.components[0].index;
  const acT = need(ac[0], 'AC');
  const { ss, se } = scan;
  state[component] ??= new Uint8Array(geometry.gridBlocksX[component] * geometry.gridBlocksY[component] * 64);
  const nonZero = state[component]!;
  if (scan.ah === 0) {
    // AC first pass (G.1.2.2): EOB runs span blocks.
    return (reader, _c, block, eob) => {
      if (eob.run > 0) {
        eob.run--;
        return;
      }
      const base = block * 64;
      for (let k = ss; k <= se; k++) {
        const rs = reader.decode(acT);
        const size = rs & 15;
        const run = rs >> 4;
        if (size === 0) {
          if (run < 15) {
            eob.run = (1 << run) - 1 + reader.bits(run);
            return;
          }
          k += 15;
          continue;
        }
        k += run;
        if (k > se) throw new UnsupportedJpeg('AC coefficient index past the scan band');
        reader.bits(size);
        nonZero[base + k] = 1;
      }
    };
  }
  // AC refinement (G.1.2.3): a correction bit for every coefficient already non-zero that the
  // decoder passes, new coefficients of size 1.
  return (reader, _c, block, eob) => {
    const base = block * 64;
    let k = ss;
    if (eob.run === 0) {
      for (; k <= se; k++) {
        const rs = reader.decode(acT);
        const size = rs & 15;
        let run = rs >> 4;
        if (size !== 0) {
          if (size !== 1) throw new UnsupportedJpeg('refinement coefficient of size other than 1');
          reader.bits(1);
        } else if (run !== 15) {
          eob.run = (1 << run) + reader.bits(run);
          break;
        }
        for (;;) {
          if (k > se) break;
          if (nonZero[base + k]) reader.bits(1);
          else if (--run < 0) break;
          k++;
        }
        if (size !== 0) {
          if (k > se) throw new UnsupportedJpeg('refinement coefficient past the scan band');
          nonZero[base + k] = 1;
        }
      }
    }
    if (eob.run > 0) {
      for (; k <= se; k++) if (nonZero[base + k]) reader.bits(1);
      eob.run--;
    }
  };
}

interface Interval {
  /** Data bytes, stuffing and fill bytes removed, followed by zero bytes (see BitReader). */
  data: Uint8Array;
  length: number;
  /** The n of the RSTn that opened it; -1 for the first interval. */
  restart: number;
}

/** Splits entropy-coded bytes at RSTn markers, as libjpeg reads them (FF FF... 00 is one FF data byte). */
function splitIntervals(raw: Uint8Array): Interval[] {
  const intervals: Interval[] = [];
  // One buffer for all intervals, each followed by 3 zero bytes of its own.
  const buffer = new Uint8Array(raw.length + 4 * 9 + 4 * Math.ceil(raw.length / 2));
  let start = 0;
  let length = 0;
  const data = (at: number) => buffer.subarray(at);
  let restart = -1;
  for (let i = 0; i < raw.length; ) {
    // Runs without 0xFF are copied whole (indexOf and set are native: this loop was byte by byte).
    const ff = raw.indexOf(0xff, i);
    const runEnd = ff < 0 ? raw.length : ff;
    buffer.set(raw.subarray(i, runEnd), start + length);
    length += runEnd - i;
    if (ff < 0) break;
    let j = ff + 1;
    while (j < raw.length && raw[j] === 0xff) j++;
    if (j >= raw.length) break; // fill bytes before the marker that ends the scan
    if (raw[j] === 0x00) {
      buffer[start + length++] = 0xff;
      i = j + 1;
      continue;
    }
    // RSTn (the segment reader stops the scan at any other marker)
    intervals.push({ data: data(start), length, restart });
    restart = raw[j] - 0xd0;
    start += length + 4;
    length = 0;
    i = j + 1;
  }
  intervals.push({ data: data(start), length, restart });
  return intervals;
}

/** Writes the first `bits` bits of `data` at `at`, padded with 1-bits to a byte, 0xFF stuffed with 0x00; returns the new end. */
function emitBits(data: Uint8Array, bits: number, out: Uint8Array, at: number): number {
  const whole = bits >> 3;
  const bytes = data.subarray(0, whole); // `data` runs on into the next intervals: search only this one
  for (let i = 0; i < whole; ) {
    const ff = bytes.indexOf(0xff, i);
    const runEnd = ff < 0 ? whole : ff;
    out.set(bytes.subarray(i, runEnd), at);
    at += runEnd - i;
    if (runEnd === whole) break;
    out[at++] = 0xff;
    out[at++] = 0x00;
    i = runEnd + 1;
  }
  const rest = bits & 7;
  if (rest > 0) {
    const b = data[whole] | ((1 << (8 - rest)) - 1);
    out[at++] = b;
    if (b === 0xff) out[at++] = 0x00;
  }
  return at;
}
