import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

/**
 * What every released table, view and column means, written once as data
 * (`vocabulary/release-columns.csv`: table,column,description). An empty column is the table's own
 * description; table `*` describes a column wherever it appears, and a row naming a table overrides
 * it there. DuckDB's COMMENT ON and Croissant's field descriptions both come from here.
 */
export const RELEASE_COLUMNS_FILE = 'schemas/vocabulary/release-columns.csv';

const Row = z.object({ table: z.string().min(1), column: z.string(), description: z.string().trim().min(1) });
type Row = z.infer<typeof Row>;

export interface ReleaseColumns {
  /** the description of a table or view; throws when the file has none */
  table(name: string): string;
  /** the description of a column of a table or view (or of a release CSV: table `*`); throws when the file has none */
  column(table: string, column: string): string;
  readonly rows: readonly Row[];
}

let loaded: ReleaseColumns | undefined;

export function releaseColumns(): ReleaseColumns {
  if (loaded) return loaded;
  const file = path.join(import.meta.dirname, 'vocabulary', 'release-columns.csv');
  const rows = (parse(readFileSync(file), { columns: true, skip_empty_lines: true }) as unknown[]).map((row, i) => {
    const result = Row.safeParse(row);
    if (!result.success) throw new Error(`${RELEASE_COLUMNS_FILE} row ${i + 1}: ${result.error.issues[0]?.message}`);
    return result.data;
  });
  const byKey = new Map<string, string>();
  for (const row of rows) {
    const key = `${row.table}\u0000${row.column}`;
    if (byKey.has(key)) throw new Error(`${RELEASE_COLUMNS_FILE}: ${row.table}.${row.column || '(table)'} is described twice`);
    byKey.set(key, row.description);
  }
  loaded = {
    rows,
    table(name) {
      const description = byKey.get(`${name}\u0000`);
      if (!description) throw new Error(`${RELEASE_COLUMNS_FILE} describes no table ${name}`);
      return description;
    },
    column(table, column) {
      const description = byKey.get(`${table}\u0000${column}`) ?? byKey.get(`*\u0000${column}`);
      if (!description) throw new Error(`${RELEASE_COLUMNS_FILE} describes no column ${column} (of ${table})`);
      return description;
    },
  };
  return loaded;
}
