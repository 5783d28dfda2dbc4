/**
 * The texts a run of bytes reads as, for the leak scan: Latin-1, UTF-8, and UTF-16 little- and
 * big-endian at both byte alignments, each folded (compatibility-decomposed, combining marks
 * dropped, lower-cased: `fold`) and with the byte offset of every character, so a hit can be
 * placed. A value written in any of these encodings, in any case, composed or decomposed, reads
 * the same as its folded form in one of the views.
 */

export type Encoding = 'latin1' | 'utf-8' | 'utf-16le' | 'utf-16be';

export interface ByteView {
  encoding: Encoding;
  /** Folded text; one entry of `offsets` per UTF-16 code unit of it. */
  text: string;
  /** The same text as code units. */
  units: Uint16Array;
  /** Byte offset (within the viewed bytes) of the character each code unit of `text` comes from. */
  offsets: Int32Array;
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

/** For each BMP code unit, its fold when that is one code unit; MULTI when it is none or several (then `foldChar`). */
const MULTI = 0xffff;
let unitFolds: Uint16Array | undefined;

function unitFold(): Uint16Array {
  if (unitFolds) return unitFolds;
  unitFolds = new Uint16Array(0x10000);
  for (let u = 0; u < 0x10000; u++) {
    if (u >= 0xd800 && u <= 0xdfff) {
      unitFolds[u] = u; // a lone surrogate stays itself
      continue;
    }
    const f = String.fromCharCode(u).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    unitFolds[u] = f.length === 1 ? f.charCodeAt(0) : MULTI;
  }
  return unitFolds;
}

/** Every view of `bytes`. */
export function byteViews(bytes: Uint8Array): ByteView[] {
  return [
    view('latin1', bytes, latin1Chars),
    view('utf-8', bytes, utf8Chars),
    view('utf-16le', bytes, (b, emit) => utf16Chars(b, 0, true, emit)),
    view('utf-16le', bytes, (b, emit) => utf16Chars(b, 1, true, emit)),
    view('utf-16be', bytes, (b, emit) => utf16Chars(b, 0, false, emit)),
    view('utf-16be', bytes, (b, emit) => utf16Chars(b, 1, false, emit)),
  ];
}

/** Receives each decoded code point with the offset of its first byte. */
type Emit = (code: number, offset: number) => void;

function view(encoding: Encoding, bytes: Uint8Array, chars: (bytes: Uint8Array, emit: Emit) => void): ByteView {
  const folds = unitFold();
  let units = new Uint16Array(bytes.length + 16);
  let offsets = new Int32Array(bytes.length + 16);
  let length = 0;
  const push = (unit: number, offset: number) => {
    if (length === units.length) {
      const u = new Uint16Array(units.length * 2);
      u.set(units);
      units = u;
      const o = new Int32Array(offsets.length * 2);
      o.set(offsets);
      offsets = o;
    }
    units[length] = unit;
    offsets[length++] = offset;
  };
  chars(bytes, (code, offset) => {
    const f = code < 0x10000 ? folds[code] : MULTI;
    if (f !== MULTI) {
      push(f, offset);
      return;
    }
    const folded = foldChar(code);
    for (let i = 0; i < folded.length; i++) push(folded.charCodeAt(i), offset);
  });
  const text = units.subarray(0, length);
  return { encoding, text: UTF16.decode(text), units: text, offsets: offsets.subarray(0, length) };
}

/** Code units to a string, one character each (a lone surrogate becomes U+FFFD, still one unit). */
const UTF16 = new TextDecoder('utf-16le');

function latin1Chars(bytes: Uint8Array, emit: Emit): void {
  for (let i = 0; i < bytes.length; i++) emit(bytes[i], i);
}

/** UTF-8 as a lenient decoder reads it: each invalid byte is U+FFFD and decoding resumes at the next. */
function utf8Chars(bytes: Uint8Array, emit: Emit): void {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let code = need === 0 ? b : need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    let ok = need >= 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (c & 0x3f);
    }
    if (ok && ((need === 2 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (need === 3 && (code < 0x10000 || code > 0x10ffff)))) ok = false;
    if (!ok) {
      emit(0xfffd, i);
      i++;
      continue;
    }
    emit(code, i);
    i += need + 1;
  }
}

function utf16Chars(bytes: Uint8Array, start: number, littleEndian: boolean, emit: Emit): void {
  for (let i = start; i + 1 < bytes.length; i += 2) {
    const unit = littleEndian ? bytes[i] | (bytes[i + 1] << 8) : (bytes[i] << 8) | bytes[i + 1];
    // Surrogates are kept apart (each folds to itself): PHI values of the centres are in the BMP.
    emit(unit, i);
  }
}
