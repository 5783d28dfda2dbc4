import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readJpegSegments, SOS } from '../storage/jpeg/jpeg-segments.ts';
import { fold, forEachRun, runFilter, type Encoding, type RunFilter } from './byte-views.ts';
import { MIN_SCANNABLE, type PhiKind, type PhiValue } from '../storage/phi-values.ts';

/** Where a PHI value was found: never the value itself, which would leak it again into logs. */
export interface LeakHit {
  file: string;
  location: string;
  kind: PhiKind;
}

/** A suspicious-looking string in a text field: reported for a person to look at, not a failure. */
export interface PatternWarning {
  file: string;
  location: string;
  pattern: string;
}

export interface LeakScan {
  filesScanned: number;
  bytesScanned: number;
  valuesSearched: number;
  unscannable: number;
  hits: LeakHit[];
  /** hits in shared files (tables, documents) of values made only of public vocabulary words: reported, not a leak */
  vocabularyHits: LeakHit[];
  patternWarnings: PatternWarning[];
}

/** A value extracted from a decoded table or a CSV cell, with a label saying where it came from. */
interface Text {
  location: string;
  text: string;
  /** free-text field: checked against the suspicious patterns */
  field?: boolean;
  /** already covered by the byte search of the same file */
  patternsOnly?: boolean;
}

/** A run of a file's bytes searched in every encoding; `binary`: compressed or entropy-coded data. */
interface ByteRegion {
  location: string;
  bytes: Uint8Array;
  /** Offset of `bytes` in the file. */
  start: number;
  /** Line number at `start` for text files, where a hit is reported by line. */
  line?: number;
  binary: boolean;
}

const PATTERNS: [string, RegExp][] = [
  ['date', /\b(19|20)\d\d[-./](0?[1-9]|1[0-2])[-./](0?[1-9]|[12]\d|3[01])\b|\b(0?[1-9]|[12]\d|3[01])[./](0?[1-9]|1[0-2])[./](19|20)\d\d\b/],
  ['e-mail', /[\w.+-]+@[\w-]+\.[\w.]+/],
  ['phone', /\+?\d[\d ()-]{8,}\d/],
  ['long digit run', /\d{8,}/],
];

/**
 * Values shorter than this (folded) are not searched in compressed or entropy-coded bytes (longer ones
 * are, touching anything): there a
 * 5-letter name turns up by chance about once per 10^10 bytes and view, i.e. in every large
 * release, while an 8-character value does not once in 10^16. Such bytes hold no text a reader
 * sees; the decoded values of the same tables, and every header byte, are searched for all values.
 */
const MIN_IN_BINARY = 8;
const CHUNK_BYTES = 1 << 20;
/** JPEGs read ahead of the search (each is read whole: images are small). */
const READ_AHEAD = 8;
const TEXT_EXTENSIONS = new Set(['.csv', '.json', '.md', '.html', '.txt', '.sha256', '.yml', '.yaml', '.tsv']);

/**
 * Reads every byte of every file of a release and searches it for every known PHI value, in
 * Latin-1, UTF-8 and UTF-16 (both byte orders), case-folded and Unicode-normalised (`forEachRun`):
 * text files, JPEGs (every segment, the entropy-coded data, bytes after EOI), Parquet pages and
 * DuckDB blocks, streamed in chunks. Parquet and DuckDB are also searched through their decoded
 * values (their pages are compressed). Matches must stand alone (no letter or digit on either
 * side), so an 8-digit MRN does not match inside a concept score.
 */
export async function scanForLeaks(dir: string, phi: readonly PhiValue[], publicWords: readonly string[] = []): Promise<LeakScan> {
  const index = new PatternIndex(phi, MIN_SCANNABLE);
  const binaryIndex = new PatternIndex(phi, MIN_IN_BINARY, false);
  const scan: LeakScan = { filesScanned: 0, bytesScanned: 0, valuesSearched: index.size, unscannable: phi.length - index.size, hits: [], vocabularyHits: [], patternWarnings: [] };
  const vocabulary = new Set(publicWords.map(fold));
  // A shared file prints the vocabulary by design; an image belongs to one case and prints none of it.
  const record = (hit: LeakHit, value: string) => {
    const shared = !/\.(jpe?g)$/i.test(hit.file);
    const words = value.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    (shared && words.length > 0 && words.every((w) => vocabulary.has(w)) ? scan.vocabularyHits : scan.hits).push(hit);
  };
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  // The next JPEGs are read while this file is searched, so the disk and the search overlap.
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number) => {
    for (let j = from; j < Math.min(files.length, from + READ_AHEAD); j++) if (!reads.has(j) && isJpeg(files[j])) reads.set(j, readFile(files[j]));
  };
  for (const [i, file] of files.entries()) {
    const relative = path.relative(dir, file).split(path.sep).join('/');
    scan.filesScanned++;
    scan.bytesScanned += sizes[i];
    const seen = new Set<string>();
    readAhead(i);
    const bytes = reads.get(i);
    reads.delete(i);
    for await (const region of bytes ? jpegRegions(await bytes) : chunkRegions(file, !TEXT_EXTENSIONS.has(path.extname(file).toLowerCase()), 4 * index.maxLength + 16)) {
      for (const hit of (region.binary ? binaryIndex : index).findInBytes(region.bytes)) {
        const offset = region.start + hit.offset;
        // The overlap of two chunks, two views of the same ASCII, or UTF-16 read in both byte orders one byte apart.
        const wide = hit.encoding.startsWith('utf-16');
        if (seen.has(`${hit.value}@${offset}`) || (wide && (seen.has(`${hit.value}@${offset - 1}w`) || seen.has(`${hit.value}@${offset + 1}w`)))) continue;
        seen.add(`${hit.value}@${offset}`);
        if (wide) seen.add(`${hit.value}@${offset}w`);
        const place = region.line !== undefined ? `line ${region.line + newlines(region.bytes, hit.offset)}` : `byte ${offset}`;
        record({ file: relative, location: `${region.location}${place} (${hit.encoding})`, kind: hit.kind }, hit.value);
      }
    }
    // Texts are searched as they are read, one at a time, so no file or table is ever held whole.
    for await (const { location, text, field, patternsOnly } of extractText(file)) {
      if (!patternsOnly) for (const hit of index.findValues(fold(text))) record({ file: relative, location, kind: hit.kind }, hit.value);
      if (field) for (const [pattern, regex] of PATTERNS) if (regex.test(text)) scan.patternWarnings.push({ file: relative, location, pattern });
    }
  }
  return scan;
}

/** The values of a file that are searched besides its bytes: decoded tables; CSV cells for the patterns. */
function extractText(file: string): AsyncIterable<Text> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.parquet') return parquetText(file);
  if (extension === '.duckdb') return duckdbText(file);
  if (extension === '.csv') return csvText(file);
  return (async function* () {})();
}

const isJpeg = (file: string) => /\.jpe?g$/i.test(file);

/** A JPEG's header bytes (every segment, and anything after EOI) and each scan's entropy-coded data. */
function* jpegRegions(bytes: Buffer): Iterable<ByteRegion> {
  let segments;
  try {
    segments = readJpegSegments(bytes);
  } catch {
    yield { location: 'unparseable JPEG ', bytes, start: 0, binary: false };
    return;
  }
  const regions: ByteRegion[] = [];
  let from = 0;
  segments.forEach((s, i) => {
    if (s.marker !== SOS) return;
    const dataStart = s.offset + s.length;
    const dataEnd = segments[i + 1].offset;
    regions.push({ location: 'segments ', bytes: bytes.subarray(from, dataStart), start: from, binary: false });
    regions.push({ location: 'entropy-coded data ', bytes: bytes.subarray(dataStart, dataEnd), start: dataStart, binary: true });
    from = dataEnd;
  });
  yield* regions;
  yield { location: 'segments ', bytes: bytes.subarray(from), start: from, binary: false };
}

/** A file's bytes in chunks, each beginning with the end of the previous one so no value is cut; `overlap`: bytes the longest value takes in any encoding, and its boundary characters. */
async function* chunkRegions(file: string, binary: boolean, overlap: number): AsyncIterable<ByteRegion> {
  let tail = Buffer.alloc(0);
  let start = 0;
  let line = 1;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const bytes = Buffer.concat([tail, chunk as Buffer]);
    const regionStart = start - tail.length;
    const regionLine = line - newlines(tail, tail.length);
    yield { location: '', bytes, start: regionStart, line: binary ? undefined : regionLine, binary };
    line += newlines(chunk as Buffer, (chunk as Buffer).length);
    start += (chunk as Buffer).length;
    tail = bytes.subarray(Math.max(0, bytes.length - overlap));
  }
}

function newlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

async function* csvText(file: string): AsyncIterable<Text> {
  let n = 0;
  for await (const line of lines(file)) {
    const location = `line ${++n}`;
    for (const cell of line.split(',')) if (cell !== '' && Number.isNaN(Number(cell))) yield { location, text: cell, field: true, patternsOnly: true };
  }
}

/** Lines of a text file, read as a stream. */
async function* lines(file: string): AsyncIterable<string> {
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of reader) yield line;
}

async function* parquetText(file: string): AsyncIterable<Text> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    yield* tableText(connection, `SELECT * FROM read_parquet('${sql(file)}')`, undefined);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function* duckdbText(file: string): AsyncIterable<Text> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`ATTACH '${sql(file)}' AS scanned (READ_ONLY)`);
    const tables = (await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'scanned' ORDER BY 1`)).getRowObjects().map((r) => String(r.table_name));
    for (const table of tables) yield* tableText(connection, `SELECT * FROM scanned."${table}"`, table);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every non-null value of a query's result, streamed chunk by chunk (DuckDB's vectors), never the whole table. */
async function* tableText(connection: DuckDBConnection, query: string, table: string | undefined): AsyncIterable<Text> {
  const result = await connection.stream(query);
  const columns = result.columnNames();
  const types = result.columnTypes().map((t) => t.toString());
  const field = columns.map((c, i) => types[i] === 'VARCHAR' && !HASH_COLUMN.test(c));
  let rowNumber = 0;
  for await (const rows of result.yieldRows()) {
    for (const row of rows) {
      rowNumber++;
      for (let c = 0; c < row.length; c++) {
        const value = row[c];
        if (value === null) continue;
        yield { location: `${table ? `${table}.` : ''}${columns[c]} row ${rowNumber}`, text: String(value), field: field[c] };
      }
    }
  }
}

const sql = (s: string) => s.replaceAll("'", "''");
/** Hex digests are digit runs by nature; they are still searched for PHI values, just not pattern-flagged. */
const HASH_COLUMN = /sha256|phash/i;

interface ByteHit {
  kind: PhiKind;
  /** The folded value (for de-duplication only: never reported). */
  value: string;
  offset: number;
  encoding: Encoding;
}

interface Pattern {
  kind: PhiKind;
  /** folded */
  value: string;
  units: Uint16Array;
}

/**
 * Multi-pattern search over folded code units, one pass per text however many values there are:
 * values bucketed by a hash of their first MIN_SCANNABLE units, behind a bitset of hashes of their
 * first three, so a position costs a bit test and only a few a bucket look-up. It reads typed
 * arrays, not strings, so a view of the bytes is searched as it was folded.
 */
class PatternIndex {
  /** In the order the values came, so a position reports the first value that matches there. */
  private readonly buckets = new Map<number, Pattern[]>();
  private readonly starts = new Uint32Array(1 << 15); // 2^20 bits
  readonly size: number;
  readonly maxLength: number;
  /** Which characters of a view can be part of a match or decide whether one stands alone. */
  private readonly runs: RunFilter;

  /** `standAlone`: a match must not touch a letter or digit (in text; bytes of binary data border on anything). */
  constructor(values: readonly PhiValue[], minLength: number, private readonly standAlone = true) {
    const folded = new Map<string, PhiKind>();
    for (const v of values) {
      const f = fold(v.value.trim());
      if (f.length >= minLength && !folded.has(f)) folded.set(f, v.kind);
    }
    for (const [value, kind] of folded) {
      const units = codeUnits(value);
      const key = prefixKey(units, 0);
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push({ kind, value, units });
      else this.buckets.set(key, [{ kind, value, units }]);
      const h = (units[0] * 961 + units[1] * 31 + units[2]) & 0xfffff;
      this.starts[h >>> 5] |= 1 << (h & 31);
    }
    this.size = folded.size;
    this.maxLength = Math.max(0, ...[...folded.keys()].map((v) => v.length));
    this.runs = runFilter([...this.buckets.values()].flat().map((p) => p.units), standAlone ? STAND_ALONE_CONTEXT : [], minLength);
  }

  /** The values standing alone in folded text (each position reported once). */
  findValues(text: string): { kind: PhiKind; value: string }[] {
    return this.positions(codeUnits(text), text.length);
  }

  /** Values found in any view of the bytes, with their byte offset. */
  findInBytes(bytes: Uint8Array): ByteHit[] {
    if (this.size === 0) return [];
    const hits: ByteHit[] = [];
    forEachRun(bytes, this.runs, (view) => {
      for (const h of this.positions(view.units, view.length)) hits.push({ kind: h.kind, value: h.value, offset: view.offsets[h.at], encoding: view.encoding });
    });
    return hits;
  }

  private positions(u: Uint16Array, length: number): { kind: PhiKind; value: string; at: number }[] {
    const found: { kind: PhiKind; value: string; at: number }[] = [];
    const starts = this.starts;
    let a = u[0];
    let b = u[1];
    for (let i = 0; i + MIN_SCANNABLE <= length; i++) {
      const c = u[i + 2];
      const h = (a * 961 + b * 31 + c) & 0xfffff;
      a = b;
      b = c;
      if ((starts[h >>> 5] & (1 << (h & 31))) === 0) continue;
      const bucket = this.buckets.get(prefixKey(u, i));
      if (!bucket) continue;
      const hit = bucket.find((p) => startsWith(u, length, i, p.units) && (!this.standAlone || standsAlone(u, length, i, i + p.units.length)));
      if (hit) found.push({ kind: hit.kind, value: hit.value, at: i });
    }
    return found;
  }
}

/** A hash of the MIN_SCANNABLE units from `at` (values with another prefix may share a bucket: matches compare every unit). */
function prefixKey(u: Uint16Array, at: number): number {
  let key = 0;
  for (let k = 0; k < MIN_SCANNABLE; k++) key = (Math.imul(key, 0x10001) + u[at + k]) | 0;
  return key;
}

function startsWith(u: Uint16Array, length: number, at: number, value: Uint16Array): boolean {
  if (at + value.length > length) return false;
  for (let k = 0; k < value.length; k++) if (u[at + k] !== value[k]) return false;
  return true;
}

function codeUnits(text: string): Uint16Array {
  const u = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) u[i] = text.charCodeAt(i);
  return u;
}

/** The units `standsAlone` looks at beside a match: letters, digits and the separators of a decimal number. */
const STAND_ALONE_CONTEXT = Array.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,', (c) => c.charCodeAt(0));

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** No letter or digit touches the match [start, end), and it is not part of a decimal number like 0.12345. */
function standsAlone(u: Uint16Array, length: number, start: number, end: number): boolean {
  // `inner`: the match's own unit next to `at`; a '.' or ',' between digits makes one number
  const inside = (i: number) => i >= 0 && i < length;
  const joins = (at: number, beyond: number, inner: number) =>
    inside(at) && (isAlnum(u[at]) || ((u[at] === 0x2e || u[at] === 0x2c) && inside(beyond) && isDigit(u[beyond]) && isDigit(u[inner])));
  return !joins(start - 1, start - 2, start) && !joins(end, end + 1, end - 1);
}
