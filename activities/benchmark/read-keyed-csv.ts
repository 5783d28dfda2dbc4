import { readFile } from 'node:fs/promises';
import { CsvError } from 'csv-parse/sync';
import type { z } from 'zod';
import type { FileProblem } from '../../schemas/benchmark-score.ts';
import { readTable, type RawTable } from '../storage/read-table.ts';

export interface KeyedCsv<T> {
  header: string[];
  /** the rows that passed their own checks, parsed (only meaningful when there are no problems) */
  values: T[];
  /** every key seen, in a valid row or not, with the data row it first appears in */
  keys: Map<string, number>;
  /** header problems first, then row problems in row order */
  problems: FileProblem[];
  /** data rows read */
  rows: number;
}

/** How the key column may also be written, as the official ISIC scorer reads it. */
export interface KeyAliases {
  /** another name of the key column, taken when the header lacks the key's own */
  column: string;
  /** a suffix removed from every key value */
  suffix: RegExp;
}

/**
 * Reads a CSV that holds one row per key: the header must have exactly `columns` (any order), every
 * row must pass `schema`, and no key may repeat. Collects every problem instead of stopping at the
 * first; an empty file, or one with a header and no rows, is one problem.
 */
export async function readKeyedCsv<S extends z.ZodType>(file: string, columns: readonly string[], key: string, schema: S, aliases?: KeyAliases): Promise<KeyedCsv<z.output<S>>> {
  const text = await readFile(file, 'utf8');
  const table = text.trim() === '' ? { problem: { message: 'the file is empty' } } : parseCsv(text);
  if ('problem' in table) return { header: [], values: [], keys: new Map(), problems: [table.problem], rows: 0 };
  const header = aliases && !table.header.includes(key) ? table.header.map((c) => (c === aliases.column ? key : c)) : table.header;
  // A header alone would otherwise make every expected key "missing", one line each.
  if (table.rows.length === 0) return { header, values: [], keys: new Map(), problems: [{ message: 'the file has a header but no data rows' }], rows: 0 };
  const keyColumn = header.indexOf(key);
  const rows = aliases ? table.rows.map(({ row, cells }) => ({ row, cells: cells.map((c, i) => (i === keyColumn ? c.replace(aliases.suffix, '') : c)) })) : table.rows;
  const missing = columns.filter((c) => !header.includes(c));
  const problems = headerProblems(header, columns);
  const keys = new Map<string, number>();
  const values: z.output<S>[] = [];
  for (const { row, cells } of rows) {
    const rowProblems: string[] = [];
    const keyValue = cells[keyColumn];
    const firstRow = keyValue ? keys.get(keyValue) : undefined;
    if (firstRow !== undefined) rowProblems.push(`${key} ${keyValue} already appears in row ${firstRow}`);
    else if (keyValue) keys.set(keyValue, row);
    if (cells.length !== header.length) {
      rowProblems.push(`has ${cells.length} cells where the header has ${header.length}`);
    } else {
      const parsed = schema.safeParse(Object.fromEntries(header.map((c, i) => [c, cells[i]])));
      if (parsed.success) values.push(parsed.data);
      // A column missing from the header is reported once there, not again on every row.
      else rowProblems.push(...parsed.error.issues.filter((issue) => !missing.includes(String(issue.path[0]))).map(issueText));
    }
    problems.push(...rowProblems.map((message) => ({ row, message })));
  }
  return { header, values, keys, problems, rows: rows.length };
}

function headerProblems(header: readonly string[], columns: readonly string[]): FileProblem[] {
  return [
    ...columns.filter((c) => !header.includes(c)).map((c) => `missing column ${c}`),
    ...header.filter((c) => !columns.includes(c)).map((c) => `unknown column ${c === '' ? '(empty)' : c}`),
    ...header.filter((c, i) => columns.includes(c) && header.indexOf(c) !== i).map((c) => `column ${c} appears more than once`),
  ].map((problem) => ({ message: `header: ${problem}` }));
}

/** The table, or the parser's reason when the text is not CSV at all (an unclosed quote, say). */
function parseCsv(text: string): RawTable | { problem: FileProblem } {
  try {
    // Spreadsheet programs often save UTF-8 with a byte-order mark, which would end up in the first column name.
    return readTable(text.replace(/^\uFEFF/, ''), ',');
  } catch (err) {
    if (err instanceof CsvError) return { problem: { message: `not readable as CSV: ${err.message}` } };
    throw err;
  }
}

function issueText(issue: z.core.$ZodIssue): string {
  return issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`;
}
