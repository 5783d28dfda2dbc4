import type { Dialect } from '../../schemas/dialect.ts';
import { MetadataRefusal } from './metadata-refusal.ts';
import { jsonCells, parseJson, repeatedKeys } from './read-json.ts';
import { readTable } from '../storage/read-table.ts';

/** One metadata row as read from a file, before harmonisation: its cells by column name, or why it cannot be used. */
export type SourceRow = { row: number; cells: Map<string, string> } | { row: number; malformed: string };

export interface SourceRows {
  /** every column name the file uses, in first-seen order (to report the ones the dialect does not map) */
  columns: string[];
  rows: SourceRow[];
}

/**
 * Reads decoded metadata text in the dialect's layout. Row numbers: csv counts data rows (the
 * header is row 0), jsonl counts lines (so a report points at the line to fix), a sidecar is row 1.
 */
export function readRows(text: string, dialect: Dialect): SourceRows {
  const mapped = new Set<string>(Object.values(dialect.columns));
  switch (dialect.layout) {
    case 'csv':
      return csvRows(text, dialect.delimiter);
    case 'jsonl':
      return jsonlRows(text, mapped);
    case 'sidecar':
      return jsonRows([{ row: 1, text }], mapped);
  }
}

function csvRows(text: string, delimiter: string): SourceRows {
  const { header, rows } = readTable(text, delimiter);
  const repeated = [...new Set(header.filter((column, i) => header.indexOf(column) !== i))];
  // Which of two same-named columns holds the value is a guess: the file is refused, not resolved.
  if (repeated.length > 0) throw new MetadataRefusal('duplicate-columns', `the header names column(s) ${repeated.map((c) => JSON.stringify(c)).join(', ')} more than once`);
  return {
    columns: header,
    rows: rows.map(({ row, cells }) =>
      cells.length === header.length
        ? { row, cells: new Map(header.map((column, i) => [column, cells[i] ?? ''])) }
        : { row, malformed: `has ${cells.length} fields, the header has ${header.length}` },
    ),
  };
}

function jsonlRows(text: string, mapped: ReadonlySet<string>): SourceRows {
  const lines = text.split(/\r?\n/).map((line, i) => ({ row: i + 1, text: line }));
  return jsonRows(lines.filter((line) => line.text.trim() !== ''), mapped);
}

function jsonRows(texts: { row: number; text: string }[], mapped: ReadonlySet<string>): SourceRows {
  const columns = new Set<string>();
  const rows = texts.map(({ row, text }): SourceRow => {
    const value = parseJson(text);
    if (value === undefined) return { row, malformed: 'is not valid JSON' };
    const repeated = repeatedKeys(text);
    if (repeated.length > 0) return { row, malformed: `repeats key(s) ${repeated.map((k) => JSON.stringify(k)).join(', ')} in one object (which value counts is a guess)` };
    const read = jsonCells(value, mapped);
    if ('malformed' in read) return { row, malformed: read.malformed };
    for (const column of read.columns) columns.add(column);
    return { row, cells: read.cells };
  });
  return { columns: [...columns], rows };
}
