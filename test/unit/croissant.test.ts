import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_CARD, datasetCard } from '../../activities/release/documents/hf-dataset.ts';
import { releaseColumns } from '../../schemas/release-columns.ts';
import { CROISSANT, croissantJsonLd, TRAINING_IMAGES, type CroissantRelease, type ReleaseFileEntry } from '../../activities/release/documents/croissant.ts';
import { manifestEntries } from '../../activities/release/manifest.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from '../../activities/release/release-csvs.ts';
import { writeReleaseTables } from '../../activities/release/release-tables.ts';
import { CONCEPT_COLUMNS, SPLIT_FILES, type Split } from '../../schemas/release.ts';
import { toolBinary } from '../../scripts/tool-binary.ts';
import { fixture } from '../helpers/release-fixture.ts';

const { mlcroissant, skipReason } = (() => {
  try {
    return { mlcroissant: toolBinary('mlcroissant', 'mlcroissant'), skipReason: '' };
  } catch (err) {
    return { mlcroissant: undefined, skipReason: ` (skipped: ${(err as Error).message})` };
  }
})();

const rhos = (rho: number) => Object.fromEntries(CONCEPT_COLUMNS.map((c) => [c, rho])) as Record<(typeof CONCEPT_COLUMNS)[number], number>;
const RELEASE: CroissantRelease = {
  name: 'MILK10k',
  version: '1.2.0',
  description: 'Paired clinical and dermoscopic images of skin lesions (test release).',
  licenseUrl: 'https://creativecommons.org/licenses/by-nc/4.0/',
  attribution: 'MILK study team',
  citeAs: 'MILK study team. MILK10k 1.2.0.',
  datePublished: '2025-03-04T05:06:07.000Z',
  conceptModel: {
    name: 'distilled',
    version: 'distilled@0123456789ab',
    kind: 'regressor',
    training: { data: 'the official MONET scores', trainLesions: 2400, validationLesions: 600 },
    agreement: { all: { images: 1200, meanRho: 0.812, rho: rhos(0.8) }, dermoscopic: { images: 600, meanRho: 0.774, rho: rhos(0.7) } },
  },
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
  const imageFolders = { train: path.join(root, SPLIT_FILES.train.input), benchmark: path.join(root, SPLIT_FILES.benchmark.input) };
  await writeReleaseTables(path.join(root, 'milk10k.duckdb'), path.join(root, 'tables'), f, imageFolders);
  writeFileSync(path.join(root, DATASET_CARD), datasetCard({ name: 'MILK10k', version: '1.2.0', description: RELEASE.description, license: 'CC-BY-NC', licenseUrl: RELEASE.licenseUrl, attribution: RELEASE.attribution, citation: RELEASE.citeAs, counts: { train: { lesions: 2, images: 4 }, benchmark: { lesions: 1, images: 2 } } }));
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
    if hasattr(v, 'size') and hasattr(v, 'mode'): return {'width': v.size[0], 'height': v.size[1]}
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

  it('has datePublished, field descriptions from release-columns.csv and references between the tables', () => {
    expect(croissant.datePublished).toBe(RELEASE.datePublished);
    const sets = new Map(croissant.recordSet.map((r) => [r['@id'], r]));
    const field = (id: string) => sets.get(id.split('/')[0]!)!.field.find((x) => x['@id'] === id) as Record<string, unknown>;
    for (const set of croissant.recordSet) for (const x of set.field) expect(String((x as { description?: string }).description ?? ''), x['@id']).not.toBe('');
    expect(field('images/sharpness').description).toBe(releaseColumns().column('images', 'sharpness'));
    expect(field('training_metadata/lesion_id').references).toEqual({ field: { '@id': 'lesions/lesion_id' } });
    expect(field('test_metadata/lesion_id').references).toEqual({ field: { '@id': 'benchmark_lesions/lesion_id' } });
    expect(field('duplicates/isic_id').references).toEqual({ field: { '@id': 'images/isic_id' } });
    expect(field('training_metadata/isic_id').references).toEqual({ field: { '@id': 'images/isic_id' } });
    expect(field('test_metadata/isic_id').references).toEqual({ field: { '@id': 'images/isic_id' } });
    expect(field('training_ground_truth/lesion_id').references).toEqual({ field: { '@id': 'lesions/lesion_id' } });
    expect(field(`${TRAINING_IMAGES}/image`)).toMatchObject({ dataType: 'sc:ImageObject', source: { fileSet: { '@id': SPLIT_FILES.train.input }, extract: { fileProperty: 'content' } } });
    // what produced the MONET_* columns, and the columns say they are its estimates
    expect(croissant['rai:machineAnnotationTools']).toEqual([expect.stringContaining('concept model distilled@0123456789ab')]);
    expect(croissant['rai:machineAnnotationTools']![0]).toContain('on 600 validation lesions: all 0.81, dermoscopic 0.77');
    expect(field('training_metadata/MONET_hair').description).toMatch(/^Estimate of the MONET concept score .* not MONET\.$/);
    // without datePublished (no version recorded yet) there is none
    const { datePublished: _, ...undated } = RELEASE;
    expect(croissantJsonLd(undated, entries)).not.toHaveProperty('datePublished');
  });

  it('refuses a file it cannot describe', () => {
    expect(() => croissantJsonLd(RELEASE, [...entries, { path: 'notes.bin', sha256: '0'.repeat(64), size: 3 }])).toThrow(/notes\.bin/);
  });
});

describe.skipIf(!mlcroissant)(`croissant.json read by mlcroissant${skipReason}`, () => {
  let records: Record<string, Record<string, unknown>[]>;
  beforeAll(() => {
    records = loadRecords(path.join(dir, CROISSANT), ['training_metadata', 'test_metadata', 'images', 'duplicates', TRAINING_IMAGES]);
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

  it('yields every training image with its JPEG, metadata and label (training_images), and no benchmark image', () => {
    const train = side('train');
    const lesions = new Map(train.lesions.map((l) => [l.lesion_id, l]));
    const got = records[TRAINING_IMAGES]!.sort(byId('isic_id'));
    expect(got.map((r) => r.isic_id)).toEqual(train.images.map((i) => i.isic_id).sort());
    for (const r of got) {
      const image = train.images.find((i) => i.isic_id === r.isic_id)!;
      const lesion = lesions.get(image.lesion_id)!;
      expect(r).toMatchObject({ lesion_id: image.lesion_id, image_type: image.image_type, diagnosis_class: lesion.diagnosis_class, site: lesion.site, age_approx: lesion.age_approx });
      expect(r.image).toMatchObject({ width: 64, height: 48 });
    }
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

/** The Python of the tools venv (where mlcroissant and datasets are installed). */
const venvPython = () => /^#!(\S*python[\d.]*)\s*$/.exec(readFileSync(mlcroissant!, 'utf8').split('\n')[0]!)?.[1];
const hasDatasets = mlcroissant !== undefined && spawnSync(venvPython() ?? 'python3', ['-c', 'import datasets, PIL'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasDatasets)(`the release read by Hugging Face datasets${hasDatasets ? '' : ' (skipped: datasets or Pillow is not in .tools/venv; npm install adds them)'}`, () => {
  /** Loads the release as `datasets` does (`how`: imagefolder with data_dir, or the folder's dataset card) and returns per split its rows without the image, and the first image's size. */
  function loadHf(how: 'imagefolder' | 'card') {
    const script = `
import json, sys
from datasets import load_dataset
d = load_dataset('imagefolder', data_dir=sys.argv[1]) if sys.argv[2] == 'imagefolder' else load_dataset(sys.argv[1])
print(json.dumps({split: {'rows': [{k: v for k, v in row.items() if k != 'image'} for row in d[split]], 'size': list(d[split][0]['image'].size), 'columns': d[split].column_names} for split in d}))
`;
    const cache = mkdtempSync(path.join(os.tmpdir(), 'milk-hf-cache-'));
    try {
      const result = spawnSync(venvPython()!, ['-c', script, dir, how], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HF_HOME: cache, HF_DATASETS_CACHE: cache, HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1' } });
      if (result.status !== 0) throw new Error(`datasets could not load the release (${how}): ${result.stderr.slice(-1500)}`);
      return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, { rows: Record<string, unknown>[]; size: number[]; columns: string[] }>;
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }

  // (`load_dataset('imagefolder', data_dir=...)` ignores the card and puts every image in one train split: the card is the one-liner)
  it('loads with load_dataset(<release folder>): both splits as train and test with their metadata, a label for training images only', () => {
    const loaded = loadHf('card');
    expect(Object.keys(loaded).sort()).toEqual(['test', 'train']);
    expect(loaded.train!.columns).toEqual(['image', 'isic_id', 'lesion_id', 'image_type', 'image_manipulation', 'age_approx', 'sex', 'skin_tone_class', 'site', 'diagnosis_class']);
    expect(loaded.train!.size).toEqual([64, 48]);
    const train = side('train');
    const lesions = new Map(train.lesions.map((l) => [l.lesion_id, l]));
    expect(loaded.train!.rows.map((r) => r.isic_id).sort()).toEqual(train.images.map((i) => i.isic_id).sort());
    for (const row of loaded.train!.rows) {
      const image = train.images.find((i) => i.isic_id === row.isic_id)!;
      expect(row).toMatchObject({ lesion_id: image.lesion_id, image_type: image.image_type, diagnosis_class: lesions.get(image.lesion_id)!.diagnosis_class });
    }
    const benchmark = side('benchmark');
    expect(loaded.test!.rows.map((r) => r.isic_id).sort()).toEqual(benchmark.images.map((i) => i.isic_id).sort());
    for (const row of loaded.test!.rows) expect(row).toMatchObject({ lesion_id: 'IL_0000300', diagnosis_class: null, age_approx: null });
  });
});
