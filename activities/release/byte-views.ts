/**
 * The texts a run of bytes reads as, for the leak scan: Latin-1, UTF-8, and UTF-16 little- and
 * big-endian at both byte alignments, each folded (compatibility-decomposed, combining marks
 * dropped, lower-cased: `fold`) and with the byte offset of every character, so a hit can be
 * placed. A value written in any of these encodings, in any case, composed or decomposed, reads
 * the same as its folded form in one of the views.
 *
 * Views are code units in typed arrays, never strings: folding goes through a table of every BMP
 * unit's fold, built once, and the arrays are reused from view to view.
 */

export type Encoding = 'latin1' | 'utf-8' | 'utf-16le' | 'utf-16be';

export interface ByteView {
  encoding: Encoding;
  /** Folded text as UTF-16 code units (lone surrogates as U+FFFD, as a decoder shows them); valid up to `length`. */
  units: Uint16Array;
  /** Byte offset (within the viewed bytes) of the character each unit comes from. */
  offsets: Int32Array;
  length: number;
}

const foldCache = new Map<number, string>();

/** NFKD, without combining marks, lower-cased: 'García' and 'GARCI\u0301A' both fold to 'garcia'. */
export function fold(text: string): string {
  let out = '';
  for (const c of text) out += foldChar(c.codePointAt(0)!);
  return out;
}

function foldChar(code: number): string {
  let f = foldCache.get(code);
  if (f === undefined) {
    f = String.fromCodePoint(code).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    foldCache.set(code, f);
  }
  return f;
}

/**
 * Every BMP unit's fold: `one[u]` when it is one unit, else MULTI and the units
 * `multi[start[u]] .. multi[start[u + 1]]` (none for a combining mark, several for 'ﬁ' or '¼').
 * Surrogates are MULTI and fold to themselves (only the UTF-16 views meet them).
 */
interface FoldTable {
  one: Uint16Array;
  start: Int32Array;
  multi: Uint16Array;
}

const MULTI = 0xffff;
const REPLACEMENT = 0xfffd;
/** No BMP unit folds to more units than this (U+FDFA folds to 18). */
const MAX_FOLD = 18;
let foldTable: FoldTable | undefined;

function folds(): FoldTable {
  if (foldTable) return foldTable;
  const one = new Uint16Array(0x10000);
  const start = new Int32Array(0x10001);
  const multi: number[] = [];
  for (let u = 0; u < 0x10000; u++) {
    start[u] = multi.length;
    if (u >= 0xd800 && u <= 0xdfff) {
      one[u] = MULTI;
      continue;
    }
    const f = String.fromCharCode(u).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    if (f.length === 1 && f.charCodeAt(0) !== MULTI) {
      one[u] = f.charCodeAt(0);
      continue;
    }
    one[u] = MULTI;
    for (let i = 0; i < f.length; i++) multi.push(f.charCodeAt(i));
  }
  start[0x10000] = multi.length;
  foldTable = { one, start, multi: Uint16Array.from(multi) };
  return foldTable;
}

/** One view's arrays, grown when a view needs more and reused by the next. */
class ViewBuffer {
  units = new Uint16Array(0);
  offsets = new Int32Array(0);

  /** Room for `n` units. */
  reserve(n: number): void {
    if (n <= this.units.length) return;
    const size = Math.max(n, 2 * this.units.length);
    const units = new Uint16Array(size);
    units.set(this.units);
    this.units = units;
    const offsets = new Int32Array(size);
    offsets.set(this.offsets);
    this.offsets = offsets;
  }
}

const buffer = new ViewBuffer();

/**
 * Calls `visit` with every view of `bytes` in turn: Latin-1, UTF-8, UTF-16LE at offsets 0 and 1,
 * UTF-16BE at 0 and 1. A view's arrays are only valid during its call.
 */
export function forEachView(bytes: Uint8Array, visit: (view: ByteView) => void): void {
  const table = folds();
  buffer.reserve(bytes.length + MAX_FOLD + 1);
  const view = (encoding: Encoding, length: number) => visit({ encoding, units: buffer.units, offsets: buffer.offsets, length });
  view('latin1', latin1View(bytes, table));
  view('utf-8', utf8View(bytes, table));
  view('utf-16le', utf16View(bytes, 0, true, table));
  view('utf-16le', utf16View(bytes, 1, true, table));
  view('utf-16be', utf16View(bytes, 0, false, table));
  view('utf-16be', utf16View(bytes, 1, false, table));
}

/** Appends the fold of a BMP unit that is not `one` (MULTI) at `n`; returns the new length. */
function pushMulti(table: FoldTable, unit: number, offset: number, n: number): number {
  const end = table.start[unit + 1];
  buffer.reserve(n + MAX_FOLD);
  for (let k = table.start[unit]; k < end; k++) {
    buffer.units[n] = table.multi[k];
    buffer.offsets[n++] = offset;
  }
  return n;
}

// The loops below keep the arrays in locals, and reload them after `pushMulti`, which may grow them.

function latin1View(bytes: Uint8Array, table: FoldTable): number {
  let { units, offsets } = buffer;
  const one = table.one;
  const end = bytes.length;
  let n = 0;
  for (let i = 0; i < end; i++) {
    const f = one[bytes[i]];
    if (f === MULTI) {
      n = pushMulti(table, bytes[i], i, n);
      ({ units, offsets } = buffer);
      continue;
    }
    units[n] = f;
    offsets[n++] = i;
  }
  return n;
}

/** UTF-8 as a lenient decoder reads it: each invalid byte is U+FFFD and decoding resumes at the next. */
function utf8View(bytes: Uint8Array, table: FoldTable): number {
  let { units, offsets } = buffer;
  let n = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let code = b;
    let width = 1;
    if (b >= 0x80) {
      const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
      code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
      let ok = need > 0 && i + need < bytes.length;
      for (let k = 1; ok && k <= need; k++) {
        const c = bytes[i + k];
        if ((c & 0xc0) !== 0x80) ok = false;
        else code = (code << 6) | (c & 0x3f);
      }
      if (ok && ((need === 2 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (need === 3 && (code < 0x10000 || code > 0x10ffff)))) ok = false;
      if (ok) width = need + 1;
      else code = REPLACEMENT;
    }
    const f = code < 0x10000 ? table.one[code] : MULTI;
    if (f !== MULTI) {
      units[n] = f;
      offsets[n++] = i;
    } else {
      if (code < 0x10000) n = pushMulti(table, code, i, n);
      else {
        const folded = foldChar(code);
        buffer.reserve(n + folded.length);
        for (let k = 0; k < folded.length; k++) {
          buffer.units[n] = folded.charCodeAt(k);
          buffer.offsets[n++] = i;
        }
      }
      ({ units, offsets } = buffer);
    }
    i += width;
  }
  return n;
}

/** Surrogates fold to themselves; a lone one then reads as U+FFFD, as a decoder shows it (PHI values of the centres are in the BMP). */
function utf16View(bytes: Uint8Array, start: number, littleEndian: boolean, table: FoldTable): number {
  let { units, offsets } = buffer;
  const one = table.one;
  const end = bytes.length - 1;
  const [low, high] = littleEndian ? [0, 1] : [1, 0];
  let n = 0;
  let surrogates = false;
  for (let i = start; i < end; i += 2) {
    const unit = bytes[i + low] | (bytes[i + high] << 8);
    const f = one[unit];
    if (f !== MULTI) {
      units[n] = f;
      offsets[n++] = i;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      surrogates = true;
      units[n] = unit;
      offsets[n++] = i;
    } else {
      n = pushMulti(table, unit, i, n);
      ({ units, offsets } = buffer);
    }
  }
  if (surrogates) replaceLoneSurrogates(units, n);
  return n;
}

/** What a UTF-16 decoder does with the folded units: a high surrogate followed by a low one is a pair, any other surrogate U+FFFD. */
function replaceLoneSurrogates(units: Uint16Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const u = units[i];
    if (u < 0xd800 || u > 0xdfff) continue;
    if (u < 0xdc00 && i + 1 < n && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff) i++;
    else units[i] = REPLACEMENT;
  }
}
