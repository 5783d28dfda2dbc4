import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readJpegSegments } from '../storage/jpeg/jpeg-segments.ts';
import { MIN_SCANNABLE, type PhiKind, type PhiValue } from './phi-values.ts';

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
  patternWarnings: PatternWarning[];
}

/** A chunk of text extracted from a file, with a label saying where in the file it came from. */
interface Text {
  location: string;
  text: string;
  /** free-text field: checked against the suspicious patterns */
  field?: boolean;
  /** already covered by a larger chunk searched for PHI values */
  patternsOnly?: boolean;
}

const PATTERNS: [string, RegExp][] = [
  ['date', /\b(19|20)\d\d[-./](0?[1-9]|1[0-2])[-./](0?[1-9]|[12]\d|3[01])\b|\b(0?[1-9]|[12]\d|3[01])[./](0?[1-9]|1[0-2])[./](19|20)\d\d\b/],
  ['e-mail', /[\w.+-]+@[\w-]+\.[\w.]+/],
  ['phone', /\+?\d[\d ()-]{8,}\d/],
  ['long digit run', /\d{8,}/],
];

/**
 * Reads every file of a release and searches it for every known PHI value: text files whole,
 * JPEGs' marker segments and trailing bytes, Parquet and DuckDB through their decoded values (their
 * bytes are compressed) and raw bytes too. Matches must stand alone (no letter or digit on either
 * side), so an 8-digit MRN does not match inside a concept score.
 */
export async function scanForLeaks(dir: string, phi: readonly PhiValue[]): Promise<LeakScan> {
  const index = new PatternIndex(phi.filter((p) => p.value.length >= MIN_SCANNABLE));
  const scan: LeakScan = { filesScanned: 0, bytesScanned: 0, valuesSearched: index.size, unscannable: phi.length - index.size, hits: [], patternWarnings: [] };
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  for (const file of files) {
    const relative = path.relative(dir, file).split(path.sep).join('/');
    scan.filesScanned++;
    scan.bytesScanned += (await stat(file)).size;
    // Texts are searched as they are read, one at a time, so no file or table is ever held whole.
    for await (const { location, text, field, patternsOnly } of extractText(file)) {
      if (!patternsOnly) for (const kind of index.find(text)) scan.hits.push({ file: relative, location, kind });
      if (field) for (const [pattern, regex] of PATTERNS) if (regex.test(text)) scan.patternWarnings.push({ file: relative, location, pattern });
    }
  }
  return scan;
}

function extractText(file: string): AsyncIterable<Text> {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.jpg' || extension === '.jpeg') return jpegText(file);
  // Compressed formats are searched through their decoded values: their bytes hold no readable text,
  // and searching random bytes would only produce false alarms.
  if (extension === '.parquet') return parquetText(file);
  if (extension === '.duckdb') return duckdbText(file);
  if (extension === '.csv') return csvText(file);
  return lineText(file);
}

/** A JPEG's APPn and COM segments (where metadata lives) and anything after EOI; the rest is tables and pixels. */
async function* jpegText(file: string): AsyncIterable<Text> {
  const bytes = await readFile(file);
  let segments;
  try {
    segments = readJpegSegments(bytes);
  } catch {
    yield { location: 'bytes (not a parseable JPEG)', text: bytes.toString('latin1') };
    return;
  }
  for (const s of segments) if (/^APP\d+$|^COM$/.test(s.name)) yield { location: `${s.name} at byte ${s.offset}`, text: bytes.subarray(s.offset, s.offset + s.length).toString('latin1') };
  const eoi = segments.at(-1)!;
  yield { location: 'after EOI', text: bytes.subarray(eoi.offset + eoi.length).toString('latin1') };
}

/** Lines of a text file, read as a stream (no PHI value spans a line break). */
async function* lines(file: string): AsyncIterable<string> {
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of reader) yield line;
}

async function* lineText(file: string): AsyncIterable<Text> {
  let n = 0;
  for await (const text of lines(file)) yield { location: `line ${++n}`, text };
}

async function* csvText(file: string): AsyncIterable<Text> {
  let n = 0;
  for await (const line of lines(file)) {
    const location = `line ${++n}`;
    yield { location, text: line };
    for (const cell of line.split(',')) if (cell !== '' && Number.isNaN(Number(cell))) yield { location, text: cell, field: true, patternsOnly: true };
  }
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

/**
 * Multi-pattern search: values bucketed by their first MIN_SCANNABLE characters, so each text
 * position costs one map lookup however many values there are.
 */
class PatternIndex {
  private readonly buckets = new Map<string, PhiValue[]>();
  readonly size: number;

  constructor(values: readonly PhiValue[]) {
    for (const v of values) {
      const key = v.value.slice(0, MIN_SCANNABLE);
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push(v);
      else this.buckets.set(key, [v]);
    }
    this.size = values.length;
  }

  /** Kinds of the values standing alone in the text (each position reported once). */
  find(text: string): PhiKind[] {
    const kinds: PhiKind[] = [];
    for (let i = 0; i + MIN_SCANNABLE <= text.length; i++) {
      const bucket = this.buckets.get(text.slice(i, i + MIN_SCANNABLE));
      if (!bucket) continue;
      const hit = bucket.find((v) => text.startsWith(v.value, i) && standsAlone(text, i, i + v.value.length));
      if (hit) kinds.push(hit.kind);
    }
    return kinds;
  }
}

const ALNUM = /[A-Za-z0-9]/;
const DIGIT = /[0-9]/;

/** No letter or digit touches the match, and it is not part of a decimal number like 0.12345. */
function standsAlone(text: string, start: number, end: number): boolean {
  const joins = (c: string | undefined, beyond: string | undefined) => c !== undefined && (ALNUM.test(c) || ((c === '.' || c === ',') && beyond !== undefined && DIGIT.test(beyond)));
  return !joins(text[start - 1], text[start - 2]) && !joins(text[end], text[end + 1]);
}
