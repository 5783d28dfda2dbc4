import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CROISSANT, croissantJsonLd, type CroissantRelease, type ReleaseFileEntry } from '../../activities/release/croissant.ts';
import { manifestEntries } from '../../activities/release/manifest.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from '../../activities/release/release-csvs.ts';
import { writeReleaseTables } from '../../activities/release/release-tables.ts';
import { SPLIT_FILES, type Split } from '../../schemas/release.ts';
import { toolBinary } from '../../scripts/tool-binary.ts';
import { fixture } from '../helpers/release-fixture.ts';

const { mlcroissant, skipReason } = (() => {
  try {
    return { mlcroissant: toolBinary('mlcroissant', 'mlcroissant'), skipReason: '' };
  } catch (err) {
    return { mlcroissant: undefined, skipReason: ` (skipped: ${(err as Error).message})` };
  }
})();

const RELEASE: CroissantRelease = {
  name: 'MILK10k',
  version: '1.2.0',
  description: 'Paired clinical and dermoscopic images of skin lesions (test release).',
  licenseUrl: 'https://creativecommons.org/licenses/by-nc/4.0/',
  attribution: 'MILK study team',
  citeAs: 'MILK study team. MILK10k 1.2.0.',
};

const f = fixture();
const splitOf = (lesionId: string): Split => (f.benchmark.has(lesionId) ? 'benchmark' : 'train');
const side = (split: Split) => ({
  ...f,
  lesions: f.lesions.filter((l) => splitOf(l.lesion_id) === split),
  images: f.images.filter((i) => splitOf(i.lesion_id) === split),
});

let dir: string;
let entries: ReleaseFileEntry[];
let croissant: ReturnType<typeof croissantJsonLd>;

/** A release-like folder: real JPEGs, the release CSVs and Parquet tables, and a few documents. */
async function writeReleaseFolder(root: string): Promise<void> {
  for (const [n, image] of f.images.entries()) {
    const folder = path.join(root, SPLIT_FILES[splitOf(image.lesion_id)].input, image.lesion_id);
    mkdirSync(folder, { recursive: true });
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40 * n, g: 120, b: 90 } } }).jpeg().toBuffer();
    writeFileSync(path.join(folder, `${image.isic_id}.jpg`), jpeg);
  }
  writeFileSync(path.join(root, SPLIT_FILES.train.metadata), metadataCsv(side('train')));
  writeFileSync(path.join(root, SPLIT_FILES.benchmark.metadata), metadataCsv(side('benchmark')));
  writeFileSync(path.join(root, 'MILK10k_Training_GroundTruth.csv'), groundTruthCsv(side('train')));
  writeFileSync(path.join(root, 'MILK10k_Training_Supplement.csv'), supplementCsv(side('train')));
  mkdirSync(path.join(root, 'tables'));
  await writeReleaseTables(path.join(root, 'milk10k.duckdb'), path.join(root, 'tables'), f);
  writeFileSync(path.join(root, 'RELEASE.json'), '{"name":"MILK10k","version":"1.2.0"}\n');
  writeFileSync(path.join(root, 'CHANGES.md'), '# Changes\n\nFirst release.\n');
  writeFileSync(path.join(root, 'DATASHEET.html'), '<!doctype html><title>datasheet</title>\n');
}

/**
 * Every record of the named record sets, read by mlcroissant (in the Python its console script runs
 * on, which also checks each file's sha256 as it opens it) as plain JSON, keyed by record set.
 */
function loadRecords(jsonld: string, recordSets: readonly string[]): Record<string, Record<string, unknown>[]> {
  const python = /^#!(\S*python[\d.]*)\s*$/.exec(readFileSync(mlcroissant!, 'utf8').split('\n')[0]!)?.[1];
  if (!python) throw new Error(`cannot tell which Python runs ${mlcroissant}`);
  const script = `
import json, math, sys
import mlcroissant as mlc
def plain(v):
    if isinstance(v, bytes): return v.decode()
    if hasattr(v, 'item'): v = v.item()
    if isinstance(v, float) and math.isnan(v): return None
    return v
dataset = mlc.Dataset(sys.argv[1])
print(json.dumps({name: [{key.split('/', 1)[1]: plain(value) for key, value in record.items()} for record in dataset.records(name)] for name in sys.argv[2:]}))
`;
  const result = spawnSync(python, ['-c', script, jsonld, ...recordSets], { encoding: 'utf8', timeout: 90_000 });
  if (result.status !== 0) throw new Error(`mlcroissant could not load ${recordSets.join(', ')}: ${result.stderr.slice(-1500)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, Record<string, unknown>[]>;
}

const byId = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => String(a[key]).localeCompare(String(b[key]));
const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-croissant-'));
  await writeReleaseFolder(dir);
  entries = await manifestEntries(dir);
  croissant = croissantJsonLd(RELEASE, entries);
  writeFileSync(path.join(dir, CROISSANT), `${JSON.stringify(croissant, null, 2)}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('croissantJsonLd', () => {
  it('gives every document its real sha256 and size, and every image folder a JPEG file set', () => {
    const objects = croissant.distribution.filter((d) => d['@type'] === 'cr:FileObject') as { contentUrl: string; sha256: string; contentSize: string }[];
    expect(objects.map((o) => o.contentUrl)).toEqual(entries.filter((e) => !e.path.endsWith('.jpg')).map((e) => e.path));
    for (const o of objects) {
      expect(o.sha256, o.contentUrl).toBe(sha256Of(path.join(dir, o.contentUrl)));
      expect(o.contentSize, o.contentUrl).toBe(`${statSync(path.join(dir, o.contentUrl)).size} B`);
    }
    const sets = croissant.distribution.filter((d) => d['@type'] === 'cr:FileSet');
    expect(sets).toMatchObject([
      { '@id': SPLIT_FILES.train.input, includes: `${SPLIT_FILES.train.input}/*/*.jpg`, encodingFormat: 'image/jpeg' },
      { '@id': SPLIT_FILES.benchmark.input, includes: `${SPLIT_FILES.benchmark.input}/*/*.jpg`, encodingFormat: 'image/jpeg' },
    ]);
    // every JPEG written is matched by its folder's glob
    for (const split of ['train', 'benchmark'] as const) {
      const folder = path.join(dir, SPLIT_FILES[split].input);
      const jpegs = readdirSync(folder, { recursive: true }).filter((p) => String(p).endsWith('.jpg'));
      expect(jpegs).toHaveLength(side(split).images.length);
    }
  });

  it('is identical for the same files in any order, and never lists itself', () => {
    const again = croissantJsonLd(RELEASE, [{ path: CROISSANT, sha256: '0'.repeat(64), size: 1 }, ...[...entries].reverse()]);
    expect(JSON.stringify(again)).toBe(JSON.stringify(croissant));
  });

  it('refuses a file it cannot describe', () => {
    expect(() => croissantJsonLd(RELEASE, [...entries, { path: 'notes.bin', sha256: '0'.repeat(64), size: 3 }])).toThrow(/notes\.bin/);
  });
});

describe.skipIf(!mlcroissant)(`croissant.json read by mlcroissant${skipReason}`, () => {
  let records: Record<string, Record<string, unknown>[]>;
  beforeAll(() => {
    records = loadRecords(path.join(dir, CROISSANT), ['training_metadata', 'test_metadata', 'images', 'duplicates']);
  });

  it('passes `mlcroissant validate`', () => {
    const result = spawnSync(mlcroissant!, ['validate', '--jsonld', path.join(dir, CROISSANT)], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(result.stderr).not.toMatch(/\bERROR\b|Found the following \d+ error/);
  });

  it('loads the training metadata CSV as written, typed by column', () => {
    const train = side('train');
    const lesions = new Map(train.lesions.map((l) => [l.lesion_id, l]));
    const expected = train.images.map((image) => {
      const lesion = lesions.get(image.lesion_id)!;
      return {
        lesion_id: image.lesion_id,
        image_type: image.image_type,
        isic_id: image.isic_id,
        attribution: f.attribution,
        copyright_license: f.license,
        image_manipulation: image.image_manipulation,
        age_approx: lesion.age_approx,
        sex: lesion.sex,
        skin_tone_class: lesion.skin_tone_class,
        site: lesion.site,
        ...f.concepts.get(image.isic_id),
      };
    });
    expect(records.training_metadata!.sort(byId('isic_id'))).toEqual(expected.sort(byId('isic_id')));
  });

  it('loads the benchmark metadata CSV with its missing values as nulls', () => {
    const benchmark = side('benchmark');
    expect(records.test_metadata!.map((r) => r.isic_id).sort()).toEqual(benchmark.images.map((i) => i.isic_id).sort());
    for (const r of records.test_metadata!) expect(r).toMatchObject({ lesion_id: benchmark.lesions[0]!.lesion_id, age_approx: null, sex: null, skin_tone_class: null, site: null });
  });

  it('loads the images Parquet table with every column, split and concept score', () => {
    const expected = f.images.map((image) => ({ ...image, split: splitOf(image.lesion_id), ...f.concepts.get(image.isic_id) }));
    expect(records.images!.sort(byId('isic_id'))).toEqual(expected.sort(byId('isic_id')));
  });

  it('loads the duplicates Parquet table with typed integers and booleans', () => {
    expect(records.duplicates!.sort(byId('isic_id'))).toEqual([...f.duplicates].sort(byId('isic_id')));
  });

  it('refuses to load a file whose bytes do not match the sha256 it lists', () => {
    const tampered = structuredClone(croissant);
    const supplement = tampered.distribution.find((d) => d['@id'] === 'MILK10k_Training_Supplement.csv') as { sha256: string };
    supplement.sha256 = sha256Of(path.join(dir, 'MILK10k_Training_GroundTruth.csv'));
    const file = path.join(dir, 'tampered.json');
    writeFileSync(file, JSON.stringify(tampered));
    expect(() => loadRecords(file, ['training_supplement'])).toThrow(/hash|sha256|checksum/i);
  });
});
