import type { Dialect } from '../../schemas/dialect.ts';
import type { Exclusion, ParseNote, PrivateRecord, SourceObject } from '../../schemas/records.ts';
import { decodeText } from './decode-text.ts';
import { harmoniseRow, RowRejection } from './harmonise-row.ts';
import { readRows, type SourceRow, type SourceRows } from './read-rows.ts';
import { imagesByStem, sidecarImageKey } from './sidecar-image.ts';

export interface ParsedMetadata {
  records: PrivateRecord[];
  exclusions: Exclusion[];
  /** columns the dialect does not map, per file: kept out of the records, reported */
  notes: ParseNote[];
}

export interface MetadataFile {
  object: SourceObject;
  bytes: Uint8Array;
}

/** What every file of one centre is parsed against; `seen` makes the duplicate-row check span files. */
interface CentreContext {
  dialect: Dialect;
  images: ReadonlySet<string>;
  byStem: ReadonlyMap<string, string[]>;
  seen: Set<string>;
}

/**
 * Parses every metadata file of a centre (one csv or jsonl file, or one sidecar per image) into
 * harmonised records. Every row ends as a record or an exclusion naming file, row and reason; rows
 * pointing at images the drop lacks, and later rows for an image already described (in any file),
 * are exclusions too. Files are taken in the order given (the inventory's sorted key order).
 */
export function parseCentreMetadata(files: readonly MetadataFile[], dialect: Dialect, images: ReadonlySet<string>): ParsedMetadata {
  const context: CentreContext = { dialect, images, byStem: dialect.layout === 'sidecar' ? imagesByStem(images) : new Map(), seen: new Set() };
  const parsed: ParsedMetadata = { records: [], exclusions: [], notes: [] };
  for (const file of files) {
    const one = parseFile(file, context);
    // One file can hold a centre's whole export: append in a loop, not by spreading it into push().
    for (const record of one.records) parsed.records.push(record);
    for (const exclusion of one.exclusions) parsed.exclusions.push(exclusion);
    for (const note of one.notes) parsed.notes.push(note);
  }
  return parsed;
}

/** One metadata file on its own (a centre with a single csv or jsonl file). */
export function parseMetadata(bytes: Uint8Array, object: SourceObject, dialect: Dialect, images: ReadonlySet<string>): ParsedMetadata {
  return parseCentreMetadata([{ object, bytes }], dialect, images);
}

function parseFile({ object, bytes }: MetadataFile, context: CentreContext): ParsedMetadata {
  const { dialect } = context;
  const exclude = excluder(object, dialect);
  let read: SourceRows;
  try {
    read = readRows(decodeText(bytes, dialect.encoding), dialect);
  } catch (err) {
    return { records: [], exclusions: [exclude('unreadable-metadata', (err as Error).message)], notes: [] };
  }
  const notes = unknownColumns(read.columns, object, dialect);
  // Only a csv header speaks for all rows; a JSON row lacking a column is that row's missing-field.
  const missing = dialect.layout === 'csv' ? missingRequiredColumns(read.columns, dialect) : [];
  if (missing.length) return { records: [], exclusions: [exclude('missing-columns', `required columns missing: ${missing.join(', ')}`)], notes };

  const records: PrivateRecord[] = [];
  const exclusions: Exclusion[] = [];
  for (const source of read.rows) {
    try {
      records.push(harmoniseSourceRow(source, object, context));
    } catch (err) {
      if (!(err instanceof RowRejection)) throw err;
      exclusions.push(exclude(err.reason, err.message, source.row));
    }
  }
  return { records, exclusions, notes };
}

/** One row to a record, or a RowRejection: malformed, not harmonisable, no such image, or an image already described. */
function harmoniseSourceRow(source: SourceRow, object: SourceObject, { dialect, images, byStem, seen }: CentreContext): PrivateRecord {
  if ('malformed' in source) throw new RowRejection('malformed-row', source.malformed);
  let cells = source.cells;
  if (dialect.layout === 'sidecar') {
    const imageColumn = dialect.columns.imageFile;
    cells = new Map(cells).set(imageColumn, sidecarImageKey(object.key, cells.get(imageColumn) || undefined, byStem));
  }
  const record = harmoniseRow(cells, dialect, { centre: object.centre, metadataKey: object.key, row: source.row });
  if (!images.has(record.imageKey)) throw new RowRejection('missing-image', 'names an image the drop does not contain');
  if (seen.has(record.imageKey)) throw new RowRejection('duplicate-row', 'a previous row already describes the same image');
  seen.add(record.imageKey);
  return record;
}

/** Builds this file's exclusions; the detail says where in the file's own terms (csv row, jsonl line, or the sidecar itself). */
function excluder(object: SourceObject, dialect: Dialect) {
  const unit = { csv: ' row', jsonl: ' line', sidecar: undefined }[dialect.layout];
  return (reason: string, detail: string, row?: number): Exclusion => ({
    centre: object.centre,
    stage: 'parse',
    entity: row === undefined ? 'object' : 'record',
    reason,
    detail: `${object.key}${row === undefined || unit === undefined ? '' : `${unit} ${row}`}: ${detail}`,
    key: object.key,
    row,
    sha256: object.sha256,
  });
}

function missingRequiredColumns(columns: readonly string[], dialect: Dialect): string[] {
  const required = [dialect.columns.patientId, dialect.columns.lesionId, dialect.columns.imageFile, dialect.columns.imageType, dialect.columns.diagnosis];
  return required.filter((column) => !columns.includes(column));
}

/** Columns of the file that the dialect does not map: not PHI (names, not values), reported so nothing is dropped silently. */
function unknownColumns(columns: readonly string[], object: SourceObject, dialect: Dialect): ParseNote[] {
  const mapped = new Set<string>(Object.values(dialect.columns));
  const unknown = [...new Set(columns)].filter((column) => column !== '' && !mapped.has(column));
  return unknown.map((column) => ({ centre: object.centre, file: object.key, note: 'unknown-column', detail: column }));
}
