import { parse } from 'csv-parse/sync';

export interface RawTable {
  header: string[];
  /** data rows with their 1-based row number (the header is row 0) */
  rows: { row: number; cells: string[] }[];
}

/** Splits delimited text into a header and rows; ragged rows are kept so the caller can report them. */
export function readTable(text: string, delimiter: string): RawTable {
  const records = parse(text, {
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    trim: true,
  }) as string[][];
  const [header = [], ...rows] = records;
  return { header, rows: rows.map((cells, i) => ({ row: i + 1, cells })) };
}
