import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReleaseTables } from '../../activities/release/release-tables.ts';
import { CONCEPT_COLUMNS, PublicImage, PublicLesion } from '../../schemas/release.ts';
import { fixture } from '../helpers/release-fixture.ts';

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

  it('refuses a release with two images under one isic_id', async () => {
    const tables = fixture();
    tables.images.push({ ...tables.images[0]!, lesion_id: 'IL_0000100' });
    await expect(write('duplicate', tables)).rejects.toThrow();
  });
});
