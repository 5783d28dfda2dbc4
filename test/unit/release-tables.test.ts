import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReleaseTables } from '../../activities/release/release-tables.ts';
import { CONCEPT_COLUMNS, GROUND_TRUTH_HEADER, METADATA_HEADER, PublicImage, PublicLesion, SUPPLEMENT_HEADER } from '../../schemas/release.ts';
import { fixture } from '../helpers/release-fixture.ts';
import { releaseColumns } from '../../schemas/release-columns.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-tables-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(name: string, tables = fixture()) {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'tables'), { recursive: true });
  await writeReleaseTables(path.join(root, 'milk10k.duckdb'), path.join(root, 'tables'), tables);
  return { db: path.join(root, 'milk10k.duckdb'), tables: path.join(root, 'tables') };
}

/** Runs one query on a fresh in-memory or file database and returns its rows as plain objects. */
async function query(sql: string, dbFile = ':memory:'): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(dbFile, dbFile === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const sqlPath = (p: string) => `'${p.replaceAll("'", "''")}'`;

describe('writeReleaseTables', () => {
  let first: Awaited<ReturnType<typeof write>>;
  const f = fixture();
  beforeAll(async () => {
    first = await write('first');
  });

  it('writes a DuckDB file that can be opened and queried after the writer closed it', async () => {
    const counts = await query(
      'SELECT (SELECT count(*) FROM lesions) AS lesions, (SELECT count(*) FROM images) AS images, (SELECT count(*) FROM exclusions) AS exclusions',
      first.db,
    );
    expect(counts).toEqual([{ lesions: String(f.lesions.length - f.benchmark.size), images: String(f.images.length), exclusions: String(f.exclusions.length) }]);
  });

  it('stores every lesion field in its own column', async () => {
    const [row] = await query("SELECT * FROM lesions WHERE lesion_id = 'IL_0000200'", first.db);
    const expected = f.lesions.find((l) => l.lesion_id === 'IL_0000200')!;
    expect(PublicLesion.parse(row)).toEqual(expected);
  });

  it('exports one Parquet file per table, readable with read_parquet and ordered by id', async () => {
    expect(readdirSync(first.tables).sort()).toEqual(['benchmark_lesions.parquet', 'duplicates.parquet', 'exclusions.parquet', 'images.parquet', 'lesions.parquet']);
    const lesions = await query(`SELECT * FROM read_parquet(${sqlPath(path.join(first.tables, 'lesions.parquet'))})`);
    expect(lesions.map((l) => l.lesion_id)).toEqual(['IL_0000100', 'IL_0000200']);
    expect(lesions[0]).toMatchObject({ age_approx: 85, sex: 'male', diagnosis_class: 'BCC' });
    // the benchmark lesion has its own table, without a single label column; nulls stay nulls
    const benchmark = await query(`SELECT * FROM read_parquet(${sqlPath(path.join(first.tables, 'benchmark_lesions.parquet'))})`);
    expect(benchmark).toEqual([{ lesion_id: 'IL_0000300', centre: 'vienna', age_approx: null, sex: null, skin_tone_class: null, site: null }]);

    const images = await query(`SELECT * FROM read_parquet(${sqlPath(path.join(first.tables, 'images.parquet'))})`);
    expect(images.map((i) => i.isic_id)).toEqual([...f.images.map((i) => i.isic_id)].sort());
    for (const row of images) {
      const source = f.images.find((i) => i.isic_id === row.isic_id)!;
      expect(PublicImage.parse(row)).toEqual(source); // (concept columns are stripped by the schema)
      expect(row.split).toBe(f.benchmark.has(source.lesion_id) ? 'benchmark' : 'train');
      for (const c of CONCEPT_COLUMNS) expect(row[c]).toBeCloseTo(f.concepts.get(source.isic_id)![c], 12);
    }

    const exclusions = await query(`SELECT * FROM read_parquet(${sqlPath(path.join(first.tables, 'exclusions.parquet'))})`);
    expect(exclusions).toEqual([
      { centre: 'barcelona', stage: 'parse', entity: 'record', reason: 'unknown-diagnosis' },
      { centre: 'vienna', stage: 'qc', entity: 'image', reason: 'blurry' },
    ]);
  });

  it('writes byte-identical Parquet files for the same content, whatever the input order', async () => {
    const shuffled = fixture();
    shuffled.lesions.reverse();
    shuffled.images.reverse();
    shuffled.exclusions.reverse();
    const second = await write('second', shuffled);
    for (const table of ['lesions', 'images', 'exclusions']) {
      const a = readFileSync(path.join(first.tables, `${table}.parquet`));
      const b = readFileSync(path.join(second.tables, `${table}.parquet`));
      expect(b.equals(a), `${table}.parquet differs between two builds`).toBe(true);
    }
  });

  it('puts values in the right columns whatever the key order of the row objects', async () => {
    // The rows are typed objects; nothing obliges a caller to build them in schema key order.
    const tables = fixture();
    tables.lesions = tables.lesions.map((l) => Object.fromEntries(Object.entries(l).reverse()) as typeof l);
    tables.images = tables.images.map((i) => Object.fromEntries(Object.entries(i).reverse()) as typeof i);
    const out = await write('reordered', tables);
    const [row] = await query("SELECT lesion_id, age_approx, sex, diagnosis_class FROM lesions WHERE lesion_id = 'IL_0000100'", out.db);
    expect(row).toEqual({ lesion_id: 'IL_0000100', age_approx: 85, sex: 'male', diagnosis_class: 'BCC' });
  });

  it('has all_lesions and all_images over both splits, with NULL labels for the benchmark', async () => {
    const [counts] = await query(
      'SELECT (SELECT count(*) FROM all_images) AS all_images, (SELECT count(*) FROM images) AS images, (SELECT count(*) FROM all_lesions) AS all_lesions, (SELECT count(*) FROM lesions) + (SELECT count(*) FROM benchmark_lesions) AS lesions',
      first.db,
    );
    expect(counts).toEqual({ all_images: String(f.images.length), images: String(f.images.length), all_lesions: String(f.lesions.length), lesions: String(f.lesions.length) });
    const lesions = await query('SELECT * FROM all_lesions ORDER BY lesion_id', first.db);
    expect(lesions.map((l) => [l.lesion_id, l.split])).toEqual([['IL_0000100', 'train'], ['IL_0000200', 'train'], ['IL_0000300', 'benchmark']]);
    const labels = ['diagnosis_full', 'diagnosis_class', 'diagnosis_1', 'diagnosis_2', 'diagnosis_3', 'diagnosis_4', 'diagnosis_5', 'diagnosis_confirm_type', 'invasion_thickness_interval'];
    const benchmark = lesions.find((l) => l.split === 'benchmark')!;
    for (const column of labels) expect(benchmark[column], column).toBeNull();
    expect(lesions.find((l) => l.lesion_id === 'IL_0000100')).toMatchObject({ diagnosis_class: 'BCC', diagnosis_1: 'Malignant', age_approx: 85 });
    // a join of images to lesions keeps the benchmark images, with their lesion's public metadata
    const images = await query('SELECT isic_id, split, centre, site, diagnosis_class FROM all_images ORDER BY isic_id', first.db);
    expect(images.map((i) => i.isic_id)).toEqual(f.images.map((i) => i.isic_id).sort());
    expect(images.filter((i) => i.split === 'benchmark')).toEqual([
      { isic_id: 'ISIC_0000005', split: 'benchmark', centre: 'vienna', site: null, diagnosis_class: null },
      { isic_id: 'ISIC_0000006', split: 'benchmark', centre: 'vienna', site: null, diagnosis_class: null },
    ]);
    expect(images.find((i) => i.isic_id === 'ISIC_0000004')).toMatchObject({ split: 'train', site: 'lower_extremity', diagnosis_class: 'MEL' });
  });

  it('comments every table, view and column with the descriptions of release-columns.csv', async () => {
    const relations = await query(
      "SELECT table_name AS name, comment FROM duckdb_tables() WHERE NOT internal UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE NOT internal ORDER BY name",
      first.db,
    );
    expect(relations.map((r) => r.name)).toEqual(['all_images', 'all_lesions', 'benchmark_lesions', 'duplicates', 'exclusions', 'images', 'lesions']);
    for (const r of relations) expect(String(r.comment ?? ''), String(r.name)).not.toBe('');
    const columns = await query('SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal', first.db);
    expect(columns.length).toBeGreaterThan(60);
    const uncommented = columns.filter((c) => !c.comment).map((c) => `${c.table_name}.${c.column_name}`);
    expect(uncommented).toEqual([]);
    const described = releaseColumns();
    expect(columns.find((c) => c.table_name === 'all_lesions' && c.column_name === 'split')!.comment).toBe(described.column('all_lesions', 'split'));
    expect(relations.find((r) => r.name === 'images')!.comment).toBe(described.table('images'));
    // no description is stale: each names a relation or column that exists (in the database or a release CSV; `image`, `file_name`: Croissant's image field, metadata.jsonl)
    const known = new Set([...columns.map((c) => String(c.column_name)), ...METADATA_HEADER, ...GROUND_TRUTH_HEADER, ...SUPPLEMENT_HEADER, 'image', 'file_name']);
    const names = new Set(relations.map((r) => String(r.name)));
    const stale = described.rows.filter((r) => (r.table !== '*' && !names.has(r.table)) || (r.column !== '' && !known.has(r.column))).map((r) => `${r.table}.${r.column}`);
    expect(stale).toEqual([]);
  });

  it('refuses a release with two images under one isic_id', async () => {
    const tables = fixture();
    tables.images.push({ ...tables.images[0]!, lesion_id: 'IL_0000100' });
    await expect(write('duplicate', tables)).rejects.toThrow();
  });
});

describe('QC scores in the release', () => {
  const QC_COLUMNS = ['width', 'height', 'file_size', 'mean_luma', 'sharpness', 'sharpness_ratio', 'dark', 'light', 'low_information', 'grayscale', 'odd_aspect_ratio', 'colour_cast', 'modality', 'phash'] as const;

  it('puts every raw QC score, width, height and file size of each image in images.parquet and the DuckDB file', async () => {
    const f = fixture();
    const scored = f.images.map((image, i) => ({ ...image, file_size: 40_000 + i, dark: 0.5 + i / 1000, modality: i / f.images.length }));
    const written = await write('qc-columns', { ...f, images: scored });
    const select = `SELECT isic_id, ${QC_COLUMNS.join(', ')} FROM`;
    const fromParquet = await query(`${select} read_parquet(${sqlPath(path.join(written.tables, 'images.parquet'))}) ORDER BY isic_id`);
    const fromDb = await query(`${select} images ORDER BY isic_id`, written.db);
    const expected = [...scored].sort((a, b) => (a.isic_id < b.isic_id ? -1 : 1)).map((i) => ({ isic_id: i.isic_id, ...Object.fromEntries(QC_COLUMNS.map((c) => [c, i[c]])) }));
    for (const rows of [fromParquet, fromDb]) expect(rows.map((r) => ({ ...r, width: Number(r.width), height: Number(r.height), file_size: Number(r.file_size) }))).toEqual(expected);
    for (const column of QC_COLUMNS) expect(releaseColumns().column('images', column)).toMatch(/\w/);
  });
});
