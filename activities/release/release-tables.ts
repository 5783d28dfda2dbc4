import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { releaseColumns } from '../../schemas/release-columns.ts';
import { IMAGE_METADATA_FILE, imageFolderMetadataSql } from './documents/hf-dataset.ts';
import { type Split, type ConceptScores, type PublicDuplicate, type PublicExclusion, type PublicImage, type PublicLesion } from '../../schemas/release.ts';

export interface ReleaseTables {
  /** every released lesion, of both splits */
  lesions: readonly PublicLesion[];
  /** ids of the lesions held out as the benchmark (every other lesion is training): their labels stay out of every public table */
  benchmark: ReadonlySet<string>;
  images: readonly PublicImage[];
  concepts: ReadonlyMap<string, ConceptScores>;
  exclusions: readonly PublicExclusion[];
  duplicates: readonly PublicDuplicate[];
}

const ORDER: Record<string, string> = { lesions: 'lesion_id', benchmark_lesions: 'lesion_id', images: 'isic_id', exclusions: 'centre, stage, entity, reason', duplicates: 'duplicate_group, isic_id' };

/**
 * Writes the release tables into a DuckDB database and exports each to Parquet (zstd, ordered,
 * single-threaded so the files are byte-identical across builds). The database also holds the views
 * all_lesions and all_images (both splits, with a split column), and every table, view and column
 * carries its description from schemas/vocabulary/release-columns.csv as a COMMENT.
 */
export async function writeReleaseTables(dbFile: string, parquetDir: string, tables: ReleaseTables, imageFolders?: Partial<Record<Split, string>>): Promise<void> {
  const instance = await DuckDBInstance.create(dbFile, { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run(await readFile(path.join(import.meta.dirname, 'release-tables.sql'), 'utf8'));
    const held = (lesionId: string) => tables.benchmark.has(lesionId);
    await append(connection, 'lesions', tables.lesions.filter((l) => !held(l.lesion_id)));
    // The benchmark's rows get only the columns the appender finds in its table: no label columns.
    await append(connection, 'benchmark_lesions', tables.lesions.filter((l) => held(l.lesion_id)));
    await append(connection, 'images', tables.images.map((i) => ({ ...i, split: held(i.lesion_id) ? 'benchmark' : 'train', ...tables.concepts.get(i.isic_id) })));
    await append(connection, 'exclusions', tables.exclusions);
    await append(connection, 'duplicates', tables.duplicates);
    for (const [table, order] of Object.entries(ORDER)) {
      const target = path.join(parquetDir, `${table}.parquet`).replaceAll("'", "''");
      await connection.run(`COPY (SELECT * FROM ${table} ORDER BY ${order}) TO '${target}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    // each image folder's metadata.parquet (Hugging Face imagefolder): typed, so a split's all-NULL column keeps its type
    for (const [split, folder] of Object.entries(imageFolders ?? {})) {
      const target = path.join(folder, IMAGE_METADATA_FILE).replaceAll("'", "''");
      await connection.run(`COPY (${imageFolderMetadataSql(split as Split)}) TO '${target}' (FORMAT parquet, COMPRESSION zstd)`);
    }
    await comment(connection);
    await connection.run('CHECKPOINT');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Appends rows through DuckDB's Appender, column by column by name, choosing each append call from the declared type. */
async function append(connection: DuckDBConnection, table: string, rows: readonly object[]): Promise<void> {
  const columns = (await connection.runAndReadAll(`DESCRIBE ${table}`)).getRowObjects().map((c) => ({ name: String(c.column_name), type: String(c.column_type) }));
  const appender = await connection.createAppender(table);
  for (const row of rows as Record<string, DuckDBValue | undefined>[]) {
    for (const { name, type } of columns) {
      const value = row[name];
      if (value === null || value === undefined) appender.appendNull();
      else if (type === 'INTEGER') appender.appendInteger(Number(value));
      else if (type === 'DOUBLE') appender.appendDouble(Number(value));
      else if (type === 'BOOLEAN') appender.appendBoolean(Boolean(value));
      else appender.appendVarchar(String(value));
    }
    appender.endRow();
  }
  appender.closeSync();
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** COMMENT ON every table, view and column of the database, from the release's column descriptions (a missing one is an error). */
async function comment(connection: DuckDBConnection): Promise<void> {
  const described = releaseColumns();
  const relations = (await connection.runAndReadAll(
    "SELECT table_name AS name, 'TABLE' AS kind FROM duckdb_tables() WHERE NOT internal UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY name",
  )).getRowObjectsJson() as { name: string; kind: string }[];
  const statements: string[] = [];
  for (const { name, kind } of relations) {
    statements.push(`COMMENT ON ${kind} ${identifier(name)} IS ${literal(described.table(name))};`);
    const columns = (await connection.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE table_name = ${literal(name)} AND NOT internal ORDER BY column_index`)).getRowObjectsJson();
    for (const { column_name } of columns as { column_name: string }[]) {
      statements.push(`COMMENT ON COLUMN ${identifier(name)}.${identifier(column_name)} IS ${literal(described.column(name, column_name))};`);
    }
  }
  await connection.run(statements.join('\n'));
}
