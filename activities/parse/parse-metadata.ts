import type { Dialect } from '../../schemas/dialect.ts';
import type { Exclusion, PrivateRecord, SourceObject } from '../../schemas/records.ts';
import { decodeText } from './decode-text.ts';
import { harmoniseRow, RowRejection } from './harmonise-row.ts';
import { readTable } from './read-table.ts';

export interface ParsedMetadata {
  records: PrivateRecord[];
  exclusions: Exclusion[];
}

/**
 * Parses a centre's metadata file into harmonised records. Every row ends as a record or an
 * exclusion naming file, row and reason; rows pointing at images the drop lacks, and second rows
 * for the same image, are exclusions too.
 */
export function parseMetadata(bytes: Uint8Array, object: SourceObject, dialect: Dialect, images: ReadonlySet<string>): ParsedMetadata {
  const at = { centre: object.centre, metadataKey: object.key };
  const exclude = (reason: string, detail: string, row?: number): Exclusion => ({
    centre: object.centre, stage: 'parse', entity: row === undefined ? 'object' : 'record', reason, detail: `${object.key}${row === undefined ? '' : ` row ${row}`}: ${detail}`, key: object.key, row, sha256: object.sha256,
  });

  let table;
  try {
    table = readTable(decodeText(bytes, dialect.encoding), dialect);
  } catch (err) {
    return { records: [], exclusions: [exclude('unreadable-metadata', (err as Error).message)] };
  }
  const missing = Object.values(dialect.columns).filter((c) => c !== undefined && !table.header.includes(c));
  const required = [dialect.columns.patientId, dialect.columns.lesionId, dialect.columns.imageFile, dialect.columns.imageType, dialect.columns.diagnosis];
  if (required.some((c) => missing.includes(c))) {
    return { records: [], exclusions: [exclude('missing-columns', `required columns missing: ${required.filter((c) => missing.includes(c)).join(', ')}`)] };
  }

  const records: PrivateRecord[] = [];
  const exclusions: Exclusion[] = [];
  const seen = new Set<string>();
  for (const { row, cells } of table.rows) {
    if (cells.length !== table.header.length) {
      exclusions.push(exclude('malformed-row', `has ${cells.length} fields, the header has ${table.header.length}`, row));
      continue;
    }
    try {
      const record = harmoniseRow(new Map(table.header.map((column, i) => [column, cells[i] ?? ''])), dialect, { ...at, row });
      if (!images.has(record.imageKey)) throw new RowRejection('missing-image', `names an image the drop does not contain`);
      if (seen.has(record.imageKey)) throw new RowRejection('duplicate-row', `a previous row already describes the same image`);
      seen.add(record.imageKey);
      records.push(record);
    } catch (err) {
      if (!(err instanceof RowRejection)) throw err;
      exclusions.push(exclude(err.reason, err.message, row));
    }
  }
  return { records, exclusions };
}
