import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { scanForLeaks } from '../../activities/release/leak-scan.ts';
import type { PhiValue } from '../../activities/storage/phi-values.ts';
import { fold } from '../../activities/release/byte-views.ts';
import { PLANTED, plantedCorpus } from '../helpers/planted-leaks.ts';

const PHI: PhiValue[] = [
  { kind: 'name', value: 'Martinez, Sofia' },
  { kind: 'local-id', value: '4711235' },
  { kind: 'local-id', value: '12345' },
  { kind: 'date', value: '06.10.1956' },
  { kind: 'filename', value: 'Martinez_Sofia_20221023_klin1.jpg' },
  { kind: 'local-id', value: 'L1' },
];

function release(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'leak-scan-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

async function jpegWithComment(comment: string): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#884422' } }).jpeg().toBuffer();
  const body = Buffer.from(comment, 'latin1');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), com, jpeg.subarray(2)]);
}

describe('leak scan', () => {
  it('finds a PHI value in a CSV and says where and what kind, never the value', async () => {
    const dir = release({ 'a.csv': 'lesion_id,attribution\nIL_0000001,"Martinez, Sofia"\n' });
    const scan = await scanForLeaks(dir, PHI);
    expect(scan.hits).toEqual([{ file: 'a.csv', location: 'line 2 (latin1)', kind: 'name' }]);
    expect(JSON.stringify(scan)).not.toContain('Martinez');
  });

  it('finds PHI inside a JPEG comment and after EOI, but not in clean JPEGs', async () => {
    const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#884422' } }).jpeg().toBuffer();
    const dir = release({
      'x/comment.jpg': await jpegWithComment('taken 06.10.1956'),
      'x/trailing.jpg': Buffer.concat([clean, Buffer.from(' Martinez_Sofia_20221023_klin1.jpg')]),
      'x/clean.jpg': clean,
    });
    const scan = await scanForLeaks(dir, PHI);
    expect(scan.hits.map((h) => `${h.file} ${h.kind}`).sort()).toEqual(['x/comment.jpg date', 'x/trailing.jpg filename']);
  });

  it('reads compressed Parquet and DuckDB files through their values', async () => {
    const dir = release({});
    const instance = await DuckDBInstance.create(path.join(dir, 'db.duckdb'));
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE t AS SELECT 'IL_' || range AS id, CASE WHEN range = 500 THEN '4711235' ELSE 'ok' END AS note FROM range(1000)`);
    await connection.run(`COPY t TO '${path.join(dir, 't.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    connection.closeSync();
    instance.closeSync();
    const scan = await scanForLeaks(dir, PHI);
    expect(scan.hits).toEqual([
      { file: 'db.duckdb', location: 't.note row 501', kind: 'local-id' },
      { file: 't.parquet', location: 'note row 501', kind: 'local-id' },
    ]);
  });

  it('scans a release with more than 200,000 table cells, streaming, and finds a value in its last row', async () => {
    const dir = release({});
    const rows = 45_000;
    const instance = await DuckDBInstance.create(path.join(dir, 'big.duckdb'));
    const connection = await instance.connect();
    // five columns of 45,000 rows: 225,000 cells in the DuckDB file, as many again in the Parquet copy
    await connection.run(
      `CREATE TABLE images AS SELECT 'ISIC_' || lpad(range::VARCHAR, 7, '0') AS isic_id, 'IL_' || lpad((range // 2)::VARCHAR, 7, '0') AS lesion_id, range * 0.001 AS score, ` +
        `CASE WHEN range = ${rows - 1} THEN 'Martinez, Sofia' ELSE 'dermoscopic' END AS image_type, md5(range::VARCHAR) AS sha256 FROM range(${rows})`,
    );
    await connection.run(`COPY images TO '${path.join(dir, 'images.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`);
    connection.closeSync();
    instance.closeSync();
    const scan = await scanForLeaks(dir, PHI);
    // through the decoded values, and in the raw pages and blocks too (neither file compresses this column)
    const decoded = scan.hits.filter((h) => h.location.includes('row'));
    expect(decoded).toEqual([
      { file: 'big.duckdb', location: `images.image_type row ${rows}`, kind: 'name' },
      { file: 'images.parquet', location: `image_type row ${rows}`, kind: 'name' },
    ]);
    const raw = scan.hits.filter((h) => !h.location.includes('row'));
    expect(raw.length).toBeGreaterThan(0);
    for (const hit of raw) expect(hit).toMatchObject({ file: expect.stringMatching(/^(images\.parquet|big\.duckdb)$/), kind: 'name', location: expect.stringMatching(/^byte \d+ \(latin1\)$/) });
  });

  it('reads every byte in Latin-1, UTF-8 and UTF-16, whatever the case and Unicode form', async () => {
    const name: PhiValue = { kind: 'name', value: 'Muñoz García' };
    const upper = 'MUÑOZ GARCÍA';
    const decomposed = 'Mun\u0303oz Garci\u0301a';
    const le = Buffer.from(` ${upper} `, 'utf16le');
    const dir = release({
      'latin1.txt': Buffer.from(`x ${upper} y`, 'latin1'),
      'utf8.md': `# ${decomposed}\n`,
      'utf16le.json': Buffer.concat([Buffer.from([0x20]), le]), // odd alignment
      'utf16be.bin': Buffer.from(le).swap16(),
      'clean.txt': 'Munoz-Garciaa and Garcia alone',
    });
    const scan = await scanForLeaks(dir, [name]);
    // (UTF-16 big-endian bytes read little-endian one byte on are the same characters: either names it)
    expect(scan.hits.map((h) => `${h.file} ${h.location}`.replace(/byte \d \(utf-16..\)/, 'utf-16')).sort()).toEqual([
      'latin1.txt line 1 (latin1)',
      'utf16be.bin utf-16',
      'utf16le.json line 1 (utf-16le)',
      'utf8.md line 1 (utf-8)',
    ]);
  });

  it('reads the entropy-coded data and every segment of a JPEG, not only its metadata', async () => {
    const clean = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#884422', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg().toBuffer();
    const sos = clean.indexOf(Buffer.from([0xff, 0xda]));
    const dataStart = sos + 2 + clean.readUInt16BE(sos + 2);
    const inData = Buffer.concat([clean.subarray(0, dataStart + 10), Buffer.from('Martinez_Sofia_20221023_klin1.jpg'), clean.subarray(dataStart + 10)]);
    const dqt = clean.indexOf(Buffer.from([0xff, 0xdb]));
    const table = Buffer.concat([Buffer.from([0xff, 0xdb, 0, 67, 0x03]), Buffer.from('06.10.1956'.padEnd(64, '.'))]);
    const inTable = Buffer.concat([clean.subarray(0, dqt), table, clean.subarray(dqt)]);
    const dir = release({ 'a/data.jpg': inData, 'a/table.jpg': inTable, 'a/clean.jpg': clean });
    const scan = await scanForLeaks(dir, PHI);
    expect(scan.hits.map((h) => `${h.file} ${h.kind} ${h.location.replace(/\d+/, 'N')}`).sort()).toEqual([
      'a/data.jpg filename entropy-coded data byte N (latin1)',
      'a/table.jpg date segments byte N (latin1)',
    ]);
  });

  it('does not match an id inside a longer number, a decimal or a public id', async () => {
    const dir = release({ 'a.csv': 'isic_id,score,other\nISIC_4711235x,0.12345,947112356\nIL_1,0.912345,12345.5\n' });
    const scan = await scanForLeaks(dir, PHI);
    expect(scan.hits).toEqual([]);
  });

  it('counts values too short to search instead of matching them everywhere', async () => {
    const scan = await scanForLeaks(release({ 'a.csv': 'L1,L1\n' }), PHI);
    expect(scan.unscannable).toBe(1);
    expect(scan.valuesSearched).toBe(PHI.length - 1);
    expect(scan.hits).toEqual([]);
  });

  it('flags dates, e-mail addresses, phone numbers and long digit runs in text fields', async () => {
    const dir = release({ 'a.csv': 'a,b,c,d,e\nseen 2021-03-04,x@y.org,+43 1 40400 12345,ref 123456789,0.123456789\n' });
    const scan = await scanForLeaks(dir, []);
    const patterns = scan.patternWarnings.map((w) => w.pattern);
    expect(new Set(patterns)).toEqual(new Set(['date', 'e-mail', 'phone', 'long digit run']));
    // the numeric concept score is a number, not a text field: only the "ref" cell is a long digit run
    expect(patterns.filter((p) => p === 'long digit run')).toHaveLength(1);
  });
});

describe('leak scan on a planted corpus', () => {
  it('finds each value in every encoding, alignment, case and Unicode form, in binary data, text and across a chunk boundary', async () => {
    const { dir, files } = plantedCorpus();
    const scan = await scanForLeaks(dir, PLANTED);
    const found = new Map(scan.hits.map((h) => [h.file, h.kind]));
    const binaryMinimum = 8; // shorter values are not searched in binary data
    for (const planted of files) {
      const value = PLANTED[Number(path.basename(planted.file).split('-')[0])];
      const searched = planted.file.endsWith('.txt') || fold(value.value).length >= binaryMinimum;
      expect({ file: planted.file, kind: found.get(planted.file) }).toEqual({ file: planted.file, kind: searched ? planted.kind : undefined });
    }
  }, 60_000);
});

describe('leak scan and public vocabulary', () => {
  it('reports a name made of vocabulary words found in shared tables, but still fails it in an image', async () => {
    const nevus: PhiValue = { kind: 'name', value: 'Nevus' };
    const clean = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#884422' } }).jpeg().toBuffer();
    const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 9]), Buffer.from('NEVUS  ')]);
    const dir = release({ 'MILK10k_Training_GroundTruth.csv': 'lesion_id,diagnosis\nIL_1,Nevus\n', 'x/a.jpg': Buffer.concat([clean.subarray(0, 2), com, clean.subarray(2)]) });
    const scan = await scanForLeaks(dir, [nevus, ...PHI], ['Nevus', 'Melanoma']);
    expect({ vocabulary: scan.vocabularyHits.map((h) => h.file), hits: scan.hits.map((h) => h.file) }).toEqual({ vocabulary: ['MILK10k_Training_GroundTruth.csv'], hits: ['x/a.jpg'] });
    expect(scan.hits.map((h) => h.file)).toEqual(['x/a.jpg']);
    // without the vocabulary, the shared table is a hit too
    expect((await scanForLeaks(dir, [nevus])).hits.map((h) => h.file).sort()).toEqual(['MILK10k_Training_GroundTruth.csv', 'x/a.jpg']);
  });
});
