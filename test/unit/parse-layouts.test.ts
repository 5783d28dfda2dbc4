import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseCentreMetadata, parseMetadata, type MetadataFile } from '../../activities/parse/parse-metadata.ts';
import { classifyObject } from '../../activities/retrieve/classify-object.ts';
import { listFolder } from '../../activities/retrieve/list-folder.ts';
import { ConfigError, loadConfig, type Centre } from '../../schemas/config.ts';
import { Dialect } from '../../schemas/dialect.ts';
import { PrivateRecord, SourceObject } from '../../schemas/records.ts';
import { Random } from '../../scripts/synth/random.ts';
import { syntheticLesions } from '../../scripts/synth/synthetic-lesions.ts';
import { writeCentreDrop } from '../../scripts/synth/write-centre-drop.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const COLUMNS = { patientId: 'pasient', lesionId: 'lesjon', imageFile: 'bildefil', imageType: 'bildetype', diagnosis: 'diagnose', birthDate: 'fodt', examDate: 'undersokt', age: 'alder', sex: 'kjonn', skinTone: 'hudtype' };
const VALUES = { sex: { M: 'male', K: 'female' }, imageType: { klinisk: 'clinical: close-up', dermatoskopi: 'dermoscopic' }, diagnosis: { Basalcellekarsinom: 'Basal cell carcinoma', Nevus: 'Nevus' } };

const jsonl = Dialect.parse({ layout: 'jsonl', metadataFile: 'export/lesjoner.jsonl', dateFormat: 'dd.MM.yyyy', columns: COLUMNS, values: VALUES });
const sidecar = Dialect.parse({ layout: 'sidecar', dateFormat: 'dd.MM.yyyy', columns: COLUMNS, values: VALUES });

/** A staged metadata object as the parse stage finds it in the inventory (etag only if the schema has one). */
function object(centre: string, key: string): SourceObject {
  return SourceObject.parse({ centre, key, size: 1, sha256: 'a'.repeat(64), etag: 'test', kind: 'metadata' });
}

const file = (centre: string, key: string, text: string, encoding: BufferEncoding = 'utf8'): MetadataFile => ({ object: object(centre, key), bytes: Buffer.from(text, encoding) });

describe('layout jsonl', () => {
  const line = (row: Record<string, unknown>) => JSON.stringify(row);
  const good = { pasient: 'P000001', lesjon: 'L1', bildefil: 'bilder\\a.jpg', bildetype: 'klinisk', diagnose: 'Basalcellekarsinom', fodt: '15.03.1960', undersokt: '14.03.2023', kjonn: 'M' };

  it('turns one JSON object per line into records, numbers as values included', () => {
    const text = [
      line(good),
      line({ ...good, bildefil: 'bilder/b.jpg', bildetype: 'dermatoskopi', fodt: null, undersokt: null, alder: 62.5, hudtype: 3 }),
      line({ pasient: 1234567, lesjon: 2, bildefil: 'c.jpg', bildetype: 'dermatoskopi', diagnose: 'Nevus', kjonn: 'K', alder: 30 }),
    ].join('\r\n');
    const result = parseMetadata(Buffer.from(text), object('oslo', 'export/lesjoner.jsonl'), jsonl, new Set(['bilder/a.jpg', 'bilder/b.jpg', 'c.jpg']));

    expect(result.exclusions).toEqual([]);
    for (const record of result.records) expect(() => PrivateRecord.parse(record)).not.toThrow();
    expect(result.records.map((r) => [r.row, r.imageKey, r.patientId, r.lesionId, r.imageType, r.diagnosis, r.sex, r.age, r.skinTone])).toEqual([
      [1, 'bilder/a.jpg', 'P000001', 'L1', 'clinical: close-up', 'Basal cell carcinoma', 'male', 62, undefined],
      [2, 'bilder/b.jpg', 'P000001', 'L1', 'dermoscopic', 'Basal cell carcinoma', 'male', 62.5, 3],
      [3, 'c.jpg', '1234567', '2', 'dermoscopic', 'Nevus', 'female', 30, undefined],
    ]);
    expect(result.records[0]).toMatchObject({ metadataKey: 'export/lesjoner.jsonl', birthDate: '1960-03-15', examDate: '2023-03-14' });
    expect(result.notes).toEqual([]);
  });

  it('excludes a line that is not a JSON object as malformed-row naming its line number', () => {
    const lines = [
      line(good),
      '', // a blank line is no row, but it still counts for the line numbers
      '{"pasient": "P000002", "lesjon": "L1", "bildefil": ', // cut off
      '["P000003", "L1", "x.jpg"]',
      line({ ...good, bildefil: 'd.jpg', diagnose: { code: 'BCC' } }),
      line({ ...good, bildefil: 'e.jpg' }),
      '',
    ];
    const result = parseMetadata(Buffer.from(lines.join('\n')), object('oslo', 'export/lesjoner.jsonl'), jsonl, new Set(['bilder/a.jpg', 'd.jpg', 'e.jpg']));

    expect(result.records.map((r) => [r.row, r.imageKey])).toEqual([
      [1, 'bilder/a.jpg'],
      [6, 'e.jpg'],
    ]);
    expect(result.exclusions.map((e) => [e.entity, e.reason, e.row, e.key])).toEqual([
      ['record', 'malformed-row', 3, 'export/lesjoner.jsonl'],
      ['record', 'malformed-row', 4, 'export/lesjoner.jsonl'],
      ['record', 'malformed-row', 5, 'export/lesjoner.jsonl'],
    ]);
    expect(result.exclusions[0]!.detail).toBe('export/lesjoner.jsonl line 3: is not valid JSON');
    expect(result.exclusions[1]!.detail).toBe('export/lesjoner.jsonl line 4: is not a JSON object');
    expect(result.exclusions[2]!.detail).toContain('diagnose');
    // every non-blank line is accounted for
    expect(result.records.length + result.exclusions.length).toBe(lines.filter((l) => l.trim()).length);
  });

  it('decodes the declared encoding and reports a missing key as that row’s missing-field', () => {
    const latin1 = Dialect.parse({ ...jsonl, encoding: 'latin1' });
    const text = [line({ ...good, pasient: 'Ø-1' }), line({ ...good, bildefil: 'b.jpg', diagnose: undefined })].join('\n');
    const result = parseMetadata(Buffer.from(text, 'latin1'), object('oslo', 'export/lesjoner.jsonl'), latin1, new Set(['bilder/a.jpg', 'b.jpg']));
    expect(result.records.map((r) => r.patientId)).toEqual(['Ø-1']);
    expect(result.exclusions).toEqual([expect.objectContaining({ reason: 'missing-field', row: 2 })]);
  });
});

describe('layout sidecar', () => {
  const sidecarJson = (fields: Record<string, unknown>) => JSON.stringify(fields, null, 2);
  const row = { pasient: 'P000123', lesjon: 'L1', bildetype: 'klinisk', diagnose: 'Nevus', undersokt: '01.02.2021', alder: 41, kjonn: 'K' };
  const images = ['P000123/IMG_0001.jpg', 'P000123/IMG_0002.JPG', 'P000456/IMG_0001.png', 'P000456/IMG_0009.jpg', 'P000789/scan.jpg', 'P000789/scan.png'];

  it('reads one record per sidecar, its image implied by the sidecar’s path, row 1, the sidecar as the file', () => {
    const result = parseCentreMetadata(
      [
        file('oslo', 'P000123/IMG_0001.json', sidecarJson(row)),
        file('oslo', 'P000123/IMG_0002.json', sidecarJson({ ...row, bildetype: 'dermatoskopi' })),
        file('oslo', 'P000456/IMG_0001.json', sidecarJson({ ...row, pasient: 'P000456', kjonn: 'M', diagnose: 'Basalcellekarsinom' })),
        // an explicit imageFile column names the image relative to the sidecar's folder
        file('oslo', 'P000456/notes-9.json', sidecarJson({ ...row, pasient: 'P000456', lesjon: 'L2', bildefil: 'IMG_0009.jpg' })),
      ],
      sidecar,
      new Set(images),
    );

    expect(result.exclusions).toEqual([]);
    expect(result.records.map((r) => [r.metadataKey, r.row, r.imageKey, r.patientId, r.imageType, r.diagnosis, r.sex, r.age])).toEqual([
      ['P000123/IMG_0001.json', 1, 'P000123/IMG_0001.jpg', 'P000123', 'clinical: close-up', 'Nevus', 'female', 41],
      ['P000123/IMG_0002.json', 1, 'P000123/IMG_0002.JPG', 'P000123', 'dermoscopic', 'Nevus', 'female', 41],
      ['P000456/IMG_0001.json', 1, 'P000456/IMG_0001.png', 'P000456', 'clinical: close-up', 'Basal cell carcinoma', 'male', 41],
      ['P000456/notes-9.json', 1, 'P000456/IMG_0009.jpg', 'P000456', 'clinical: close-up', 'Nevus', 'female', 41],
    ]);
  });

  it('excludes a sidecar whose image is missing as missing-image (row 1, the sidecar as the key)', () => {
    const result = parseCentreMetadata(
      [
        file('oslo', 'P000123/IMG_0001.json', sidecarJson(row)),
        file('oslo', 'P000123/IMG_0003.json', sidecarJson(row)), // no IMG_0003.* in the drop
        file('oslo', 'P000123/other.json', sidecarJson({ ...row, bildefil: 'gone.jpg' })),
      ],
      sidecar,
      new Set(images),
    );
    expect(result.records.map((r) => r.imageKey)).toEqual(['P000123/IMG_0001.jpg']);
    expect(result.exclusions.map((e) => [e.entity, e.reason, e.key, e.row])).toEqual([
      ['record', 'missing-image', 'P000123/IMG_0003.json', 1],
      ['record', 'missing-image', 'P000123/other.json', 1],
    ]);
    expect(result.exclusions[0]!.detail).toMatch(/^P000123\/IMG_0003\.json: /);
  });

  it('checks duplicates across sidecars, and refuses to guess between two images of one stem', () => {
    const result = parseCentreMetadata(
      [
        file('oslo', 'P000123/IMG_0001.json', sidecarJson(row)),
        file('oslo', 'P000123/copy.json', sidecarJson({ ...row, bildefil: 'IMG_0001.jpg' })),
        file('oslo', 'P000789/scan.json', sidecarJson(row)),
        file('oslo', 'P000789/broken.json', '{ "pasient": '),
      ],
      sidecar,
      new Set(images),
    );
    expect(result.records.map((r) => r.metadataKey)).toEqual(['P000123/IMG_0001.json']);
    expect(result.exclusions.map((e) => [e.reason, e.key, e.row])).toEqual([
      ['ambiguous-image', 'P000789/scan.json', 1],
      ['malformed-row', 'P000789/broken.json', 1],
      ['duplicate-row', 'P000123/copy.json', 1],
    ]);
  });
});

describe('unknown columns', () => {
  it('are reported per file as notes (names only), not dropped silently and not excluded', () => {
    const csv = Dialect.parse({ metadataFile: 'meta.csv', columns: COLUMNS, values: VALUES, dateFormat: 'dd.MM.yyyy' });
    const header = 'pasient,lesjon,bildefil,bildetype,diagnose,kamera,kommentar,';
    const csvResult = parseMetadata(Buffer.from(`${header}\nP1,L1,a.jpg,klinisk,Nevus,TG-6,fin,\n`), object('oslo', 'meta.csv'), csv, new Set(['a.jpg']));
    expect(csvResult.records).toHaveLength(1);
    expect(csvResult.exclusions).toEqual([]);
    expect(csvResult.notes).toEqual([
      { centre: 'oslo', file: 'meta.csv', note: 'unknown-column', detail: 'kamera' },
      { centre: 'oslo', file: 'meta.csv', note: 'unknown-column', detail: 'kommentar' },
    ]);

    const jsonlResult = parseMetadata(
      Buffer.from(['{"pasient":"P1","lesjon":"L1","bildefil":"a.jpg","bildetype":"klinisk","diagnose":"Nevus","kamera":"TG-6"}', '{"pasient":"P1","lesjon":"L1","bildefil":"b.jpg","bildetype":"klinisk","diagnose":"Nevus","gps":{"lat":59.9}}'].join('\n')),
      object('oslo', 'export/lesjoner.jsonl'),
      jsonl,
      new Set(['a.jpg', 'b.jpg']),
    );
    expect(jsonlResult.records).toHaveLength(2); // an unmapped column's value is not checked
    expect(jsonlResult.notes.map((n) => n.detail)).toEqual(['kamera', 'gps']);

    const sidecarResult = parseCentreMetadata(
      [file('oslo', 'P1/a.json', '{"pasient":"P1","lesjon":"L1","bildetype":"klinisk","diagnose":"Nevus","kamera":"TG-6"}'), file('oslo', 'P1/b.json', '{"pasient":"P1","lesjon":"L1","bildetype":"klinisk","diagnose":"Nevus","kamera":"TG-6"}')],
      sidecar,
      new Set(['P1/a.jpg', 'P1/b.jpg']),
    );
    expect(sidecarResult.records).toHaveLength(2);
    expect(sidecarResult.notes.map((n) => [n.file, n.detail])).toEqual([
      ['P1/a.json', 'kamera'],
      ['P1/b.json', 'kamera'],
    ]);
  });

  it('are still reported when a csv file is excluded for missing columns (a misspelt column shows up there)', () => {
    const csv = Dialect.parse({ metadataFile: 'meta.csv', columns: COLUMNS });
    const result = parseMetadata(Buffer.from('pasient,lesjon,bilde_fil,bildetype,diagnose\nP1,L1,a.jpg,klinisk,Nevus\n'), object('oslo', 'meta.csv'), csv, new Set(['a.jpg']));
    expect(result.exclusions).toEqual([expect.objectContaining({ entity: 'object', reason: 'missing-columns' })]);
    expect(result.notes.map((n) => n.detail)).toEqual(['bilde_fil']);
  });
});

describe('classifyObject by layout', () => {
  it('finds the one metadata file of csv and jsonl, and every sidecar of layout sidecar', () => {
    expect(classifyObject('export/lesjoner.jsonl', jsonl)).toBe('metadata');
    expect(classifyObject('export/other.jsonl', jsonl)).toBe('other');
    expect(classifyObject('P1/IMG_0001.json', sidecar)).toBe('metadata');
    expect(classifyObject('P1/IMG_0002.JSON', sidecar)).toBe('metadata');
    expect(classifyObject('P1/IMG_0001.jpg', sidecar)).toBe('image');
    expect(classifyObject('P1/IMG_0001.xml', sidecar)).toBe('other');
    expect(classifyObject('P1/.json', sidecar)).toBe('other');
    const xml = Dialect.parse({ layout: 'sidecar', sidecarExtension: '.meta.xml', columns: COLUMNS });
    expect(xml.layout === 'sidecar' && xml.sidecarExtension).toBe('.meta.xml');
    expect(classifyObject('P1/IMG_0001.meta.xml', xml)).toBe('metadata');
    expect(classifyObject('P1/IMG_0001.json', xml)).toBe('other');
  });
});

describe('dialect validation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-dialect-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const repoYaml = (): Yaml => parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8'));
  function configError(raw: Yaml): string {
    const file = path.join(dir, 'temporal.yml');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, stringifyYaml(raw));
    try {
      loadConfig(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('the config loaded without error');
  }

  it('requires metadataFile for csv (the default layout) and jsonl, naming the key path', () => {
    const raw = repoYaml();
    delete raw.centres[2].dialect.metadataFile;
    expect(configError(raw)).toMatch(/centres\.2\.dialect\.metadataFile: required by layouts csv and jsonl/);

    const jsonlRaw = repoYaml();
    jsonlRaw.centres[4].dialect.layout = 'jsonl';
    delete jsonlRaw.centres[4].dialect.delimiter;
    delete jsonlRaw.centres[4].dialect.metadataFile;
    expect(configError(jsonlRaw)).toContain('centres.4.dialect.metadataFile: required by layouts csv and jsonl');
  });

  it.each([
    ['a metadataFile with layout sidecar', 'centres.1.dialect.metadataFile: not used by layout sidecar', (d: Yaml) => Object.assign(d, { layout: 'sidecar', delimiter: undefined })],
    ['a delimiter with layout jsonl', 'centres.1.dialect.delimiter: not used by this layout, only by layout csv', (d: Yaml) => Object.assign(d, { layout: 'jsonl' })],
    ['a sidecarExtension with layout csv', 'centres.1.dialect.sidecarExtension: not used by this layout, only by layout sidecar', (d: Yaml) => Object.assign(d, { sidecarExtension: '.json' })],
    ['an image extension as sidecarExtension', 'centres.1.dialect.sidecarExtension: must not be an image extension', (d: Yaml) => Object.assign(d, { layout: 'sidecar', metadataFile: undefined, delimiter: undefined, sidecarExtension: '.jpg' })],
    ['a sidecarExtension without its dot', 'centres.1.dialect.sidecarExtension: a file extension with its dot', (d: Yaml) => Object.assign(d, { layout: 'sidecar', metadataFile: undefined, delimiter: undefined, sidecarExtension: 'json' })],
    ['an unknown layout', 'centres.1.dialect.layout: expected csv (the default), jsonl or sidecar', (d: Yaml) => Object.assign(d, { layout: 'xml' })],
    ['a misspelt key in a sidecar dialect', 'centres.1.dialect: Unrecognized key: "sidecarExtention"', (d: Yaml) => Object.assign(d, { layout: 'sidecar', metadataFile: undefined, delimiter: undefined, sidecarExtention: '.json' })],
  ])('rejects %s, naming the key path', (_what, message, mutate) => {
    const raw = repoYaml();
    mutate(raw.centres[1].dialect);
    // YAML has no undefined: drop the keys the mutation cleared
    raw.centres[1].dialect = Object.fromEntries(Object.entries(raw.centres[1].dialect).filter(([, v]) => v !== undefined));
    expect(configError(raw)).toContain(message);
  });

  it('defaults: layout csv, sidecarExtension .json', () => {
    expect(Dialect.parse({ metadataFile: 'm.csv', columns: COLUMNS })).toMatchObject({ layout: 'csv', delimiter: ',', encoding: 'utf8' });
    expect(Dialect.parse({ layout: 'sidecar', columns: COLUMNS })).toMatchObject({ layout: 'sidecar', sidecarExtension: '.json', encoding: 'utf8' });
  });
});

describe('the generator writes and the parser reads every layout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-layouts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['jsonl', { layout: 'jsonl', metadataFile: 'export/lesjoner.jsonl', encoding: 'latin1' }],
    ['sidecar', { layout: 'sidecar', encoding: 'utf8-bom' }],
    ['sidecar with another extension', { layout: 'sidecar', sidecarExtension: '.meta' }],
  ])('%s: every written image has its record, nothing is excluded', async (_what, layout) => {
    const centre = { id: 'oslo', name: 'Oslo', source: { type: 'folder', path: dir }, dialect: Dialect.parse({ ...layout, dateFormat: 'dd.MM.yyyy', columns: { ...COLUMNS, patientName: 'navn' }, values: VALUES }) } as Centre;
    const random = new Random(3);
    const key = await writeCentreDrop(centre, 5, syntheticLesions(3, random), dir, random);
    const objects = (await listFolder(dir)).map((f) => ({ ...f, kind: classifyObject(f.key, centre.dialect) }));
    expect(objects.filter((o) => o.kind === 'other')).toEqual([]);
    const images = new Set(objects.filter((o) => o.kind === 'image').map((o) => o.key));
    const files = objects.filter((o) => o.kind === 'metadata').map((o) => ({ object: object('oslo', o.key), bytes: readFileSync(o.absolute) }));
    expect(files).toHaveLength(layout.layout === 'sidecar' ? 6 : 1);
    if (layout.layout === 'sidecar') for (const k of key) expect(path.posix.dirname(k.file)).toBe(k.patient_id); // one folder per patient

    const result = parseCentreMetadata(files, centre.dialect, images);
    expect(result.exclusions).toEqual([]);
    expect(result.notes).toEqual([]);
    expect(result.records.map((r) => [r.imageKey, r.patientId, r.lesionId, r.patientName]).sort()).toEqual(
      key.map((k) => [k.file, k.patient_id, k.local_lesion_id, k.patient_name]).sort(),
    );
  });
});
