import type { Dialect } from '../../schemas/dialect.ts';
import type { Exclusion, ParseNote, PrivateRecord, SourceObject } from '../../schemas/records.ts';
import { decodeText } from './decode-text.ts';
import { MetadataRefusal } from './metadata-refusal.ts';
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

/** What every file of one centre is parsed against. */
interface CentreContext {
  dialect: Dialect;
  images: ReadonlySet<string>;
  byStem: ReadonlyMap<string, string[]>;
}

/** A harmonised record with the excluder of its file, for the checks across rows and files. */
interface Claim {
  record: PrivateRecord;
  exclude: ReturnType<typeof excluder>;
}

/**
 * Parses every metadata file of a centre (one csv or jsonl file, or one sidecar per image) into
 * harmonised records. Every row ends as a record or an exclusion naming file, row and reason; rows
 * pointing at images the drop lacks are exclusions too. Rows of one image (in any file) agreeing on
 * patient and lesion: the first is kept, the later are `duplicate-row`; rows claiming one image for
 * different patients or lesions: none can be trusted, every claim is `ambiguous-image`. Files are
 * taken in the order given (the inventory's sorted key order).
 */
export function parseCentreMetadata(files: readonly MetadataFile[], dialect: Dialect, images: ReadonlySet<string>): ParsedMetadata {
  const context: CentreContext = { dialect, images, byStem: dialect.layout === 'sidecar' ? imagesByStem(images) : new Map() };
  const parsed: ParsedMetadata = { records: [], exclusions: [], notes: [] };
  const claims = new Map<string, Claim[]>();
  for (const file of files) {
    const one = parseFile(file, context);
    // One file can hold a centre's whole export: append in a loop, not by spreading it into push().
    for (const claim of one.claims) {
      const same = claims.get(claim.record.imageKey);
      if (same) same.push(claim);
      else claims.set(claim.record.imageKey, [claim]);
    }
    for (const exclusion of one.exclusions) parsed.exclusions.push(exclusion);
    for (const note of one.notes) parsed.notes.push(note);
  }
  for (const same of claims.values()) {
    const [first, ...later] = same;
    const owners = new Set(same.map((c) => JSON.stringify([c.record.patientId, c.record.lesionId])));
    if (owners.size > 1) {
      const rows = same.map((c) => `${c.record.metadataKey} row ${c.record.row}`).join(', ');
      for (const c of same) parsed.exclusions.push(c.exclude('ambiguous-image', `${same.length} rows of ${owners.size} different patients or lesions claim the same image (${rows}); none is used`, c.record.row));
      continue;
    }
    parsed.records.push(first.record);
    for (const c of later) parsed.exclusions.push(c.exclude('duplicate-row', `${first.record.metadataKey} row ${first.record.row} already describes the same image`, c.record.row));
  }
  return parsed;
}

/** One metadata file on its own (a centre with a single csv or jsonl file). */
export function parseMetadata(bytes: Uint8Array, object: SourceObject, dialect: Dialect, images: ReadonlySet<string>): ParsedMetadata {
  return parseCentreMetadata([{ object, bytes }], dialect, images);
}

function parseFile({ object, bytes }: MetadataFile, context: CentreContext): { claims: Claim[]; exclusions: Exclusion[]; notes: ParseNote[] } {
  const { dialect } = context;
  const exclude = excluder(object, dialect);
  let read: SourceRows;
  try {
    read = readRows(decodeText(bytes, dialect.encoding), dialect);
  } catch (err) {
    const reason = err instanceof MetadataRefusal ? err.reason : 'unreadable-metadata';
    return { claims: [], exclusions: [exclude(reason, (err as Error).message)], notes: [] };
  }
  const notes = unknownColumns(read.columns, object, dialect);
  // Only a csv header speaks for all rows; a JSON row lacking a column is that row's missing-field.
  const missing = dialect.layout === 'csv' ? missingRequiredColumns(read.columns, dialect) : [];
  if (missing.length) return { claims: [], exclusions: [exclude('missing-columns', `required columns missing: ${missing.join(', ')}`)], notes };

  const claims: Claim[] = [];
  const exclusions: Exclusion[] = [];
  for (const source of read.rows) {
    try {
      claims.push({ record: harmoniseSourceRow(source, object, context), exclude });
    } catch (err) {
      if (!(err instanceof RowRejection)) throw err;
      exclusions.push(exclude(err.reason, err.message, source.row));
    }
  }
  return { claims, exclusions, notes };
}

/** One row to a record, or a RowRejection: malformed, not harmonisable, or no such image. */
function harmoniseSourceRow(source: SourceRow, object: SourceObject, { dialect, images, byStem }: CentreContext): PrivateRecord {
  if ('malformed' in source) throw new RowRejection('malformed-row', source.malformed);
  let cells = source.cells;
  if (dialect.layout === 'sidecar') {
    const imageColumn = dialect.columns.imageFile;
    cells = new Map(cells).set(imageColumn, sidecarImageKey(object.key, cells.get(imageColumn) || undefined, byStem));
  }
  const record = harmoniseRow(cells, dialect, { centre: object.centre, metadataKey: object.key, row: source.row });
  if (!images.has(record.imageKey)) throw new RowRejection('missing-image', 'names an image the drop does not contain');
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
