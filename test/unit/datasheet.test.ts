import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasheetHtml, type DatasheetInput } from '../../activities/release/documents/datasheet.ts';
import { CLASSES, CONCEPT_COLUMNS, SPLITS, type ConceptScores, type PublicDuplicate, type PublicExclusion, type Split } from '../../schemas/release.ts';
import { vocabulary } from '../../schemas/vocabulary.ts';
import type { ConceptModelDisclosure } from '../../schemas/concept-model.ts';
import { CHROMIUM, CHROMIUM_MISSING, renderedDom } from '../helpers/chromium.ts';
import { image, lesion } from '../helpers/release-fixture.ts';

const CENTRES = ['barcelona', 'brisbane', 'vienna'];
const SITES = ['head_neck_face', 'lower_extremity', 'trunk', 'upper_extremity'];
const SECTIONS = ['motivation', 'composition', 'collection', 'preprocessing', 'uses', 'distribution', 'maintenance'];
const CONTENT_HASH = 'c'.repeat(64);
const rhos = (base: number) => Object.fromEntries(CONCEPT_COLUMNS.map((c, k) => [c, base + k / 100])) as Record<(typeof CONCEPT_COLUMNS)[number], number>;
const CONCEPT_MODEL: ConceptModelDisclosure = {
  name: 'distilled',
  version: 'distilled@0123456789ab',
  kind: 'regressor',
  training: { data: 'the official MONET scores', trainLesions: 2400, validationLesions: 600 },
  agreement: { all: { images: 1200, meanRho: 0.81, rho: rhos(0.71) }, dermoscopic: { images: 600, meanRho: 0.77, rho: rhos(0.61) } },
};

/**
 * 60 lesions over every diagnosis class, three centres, all skin tones and sites, ages 0–85 with some
 * missing values; every fourth lesion is in the benchmark. Rows carry their ids (as the release's do),
 * which the datasheet must never print.
 */
function releaseRows() {
  const terms = vocabulary().diagnosisTerms;
  const lesions = Array.from({ length: 60 }, (_, i) => ({
    ...lesion(`IL_${String(7000100 + i)}`, terms[(i * 7) % terms.length]!.term, {
      centre: CENTRES[i % 3]!,
      site: i % 11 === 0 ? null : SITES[i % 4]!,
      skin_tone_class: i % 13 === 0 ? null : i % 6,
      age_approx: i % 9 === 0 ? null : ((i * 5) % 90),
      sex: i % 2 ? 'male' : 'female',
    }),
    split: (i % 4 === 3 ? 'benchmark' : 'train') as Split,
  }));
  // a benchmark lesion with a term no training lesion has: it must not reach the page
  lesions[3] = { ...lesion('IL_7000103', 'Spiradenoma', { centre: 'vienna' }), split: 'benchmark' };
  const scores = (seed: number) => Object.fromEntries(CONCEPT_COLUMNS.map((c, k) => [c, ((seed * 37 + k * 11) % 101) / 100])) as ConceptScores;
  const images = lesions.flatMap((l, i) =>
    (['clinical: close-up', 'dermoscopic'] as const).map((type, t) => ({
      ...image(`ISIC_${String(8000100 + 2 * i + t)}`, l.lesion_id, type, { qc_warnings: i % 10 === 0 ? 'blurry' : i % 15 === 1 ? 'blurry;dark' : '' }),
      split: l.split,
      concepts: scores(2 * i + t),
    })),
  );
  const exclusions: PublicExclusion[] = [
    { centre: 'vienna', stage: 'qc', entity: 'image', reason: 'too-small' },
    { centre: 'brisbane', stage: 'qc', entity: 'image', reason: 'too-small' },
    { centre: 'barcelona', stage: 'parse', entity: 'record', reason: 'missing-columns' },
  ];
  const duplicates: PublicDuplicate[] = [
    { duplicate_group: 1, isic_id: images[0]!.isic_id, kind: 'exact', max_distance: 0, cross_lesion: false },
    { duplicate_group: 1, isic_id: images[1]!.isic_id, kind: 'exact', max_distance: 0, cross_lesion: false },
    { duplicate_group: 2, isic_id: images[4]!.isic_id, kind: 'near', max_distance: 5, cross_lesion: true },
    { duplicate_group: 2, isic_id: images[8]!.isic_id, kind: 'near', max_distance: 5, cross_lesion: true },
  ];
  const deidentification = {
    centres: CENTRES.map((centre) => ({
      centre,
      imagesProcessed: 42,
      imagesReoriented: 3,
      imagesSearchedForText: 42,
      imagesWithTextRegions: 1,
      recordsProcessed: 21,
      segmentsRemoved: { APP1: 40, APP13: 2 },
      exifTagsRemoved: { DateTimeOriginal: 40, Make: 40 },
      fieldsWithheld: { birthDate: 21, patientName: 21 },
    })),
    leakScan: { filesScanned: 140, bytesScanned: 5_123_456, phiValuesSearched: 321, phiValuesTooShortToSearch: 2, hits: 0, vocabularyMatches: 0, vocabularyMatchesListed: [], patternWarnings: 1, patternWarningsListed: [{ file: 'tables/images.parquet', location: 'row 3', pattern: 'date' }] },
  };
  const input: DatasheetInput = {
    release: { name: 'MILK10k', version: '1.3.0', contentHash: CONTENT_HASH, attribution: 'MILK study team', license: 'CC-BY-NC', licenseUrl: 'https://creativecommons.org/licenses/by-nc/4.0/' },
    lesions,
    images,
    exclusions,
    duplicates,
    deidentification,
    conceptModel: CONCEPT_MODEL,
  };
  return { input, lesions, images };
}

interface Measured {
  sections: { id: string; heading: string; text: string }[];
  plots: { plot: string; width: number; height: number; bars: { split: Split; category: string; count: number; height: number }[] }[];
  text: string;
}

/** Added to a copy of the page only: reads what Chromium laid out and leaves it, base64 JSON, on <body>. */
const MEASURE = `<script>
addEventListener('load', () => {
  const sections = [...document.querySelectorAll('section')].map((s) => ({ id: s.id, heading: s.querySelector('h2')?.textContent ?? '', text: s.innerText }));
  const plots = [...document.querySelectorAll('figure.plot')].map((f) => {
    const svg = f.querySelector('svg').getBoundingClientRect();
    const bars = [...f.querySelectorAll('rect[data-split]')].map((r) => ({ split: r.dataset.split, category: r.dataset.category, count: Number(r.dataset.count), height: r.getBoundingClientRect().height }));
    return { plot: f.dataset.plot, width: svg.width, height: svg.height, bars };
  });
  const json = JSON.stringify({ sections, plots, text: document.body.innerText });
  document.body.dataset.measured = btoa(String.fromCharCode(...new TextEncoder().encode(json)));
});
</script>`;

const { input, lesions, images } = releaseRows();
const html = datasheetHtml(input);
const lesionsOf = (split: Split) => lesions.filter((l) => l.split === split);
const imagesOf = (split: Split) => images.filter((i) => i.split === split);

describe('datasheetHtml', () => {
  it('is self-contained: no scripts, stylesheets, fonts or images to fetch', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc=/i);
  });

  it('is identical for the same release in any row order', () => {
    const shuffled = { ...input, lesions: [...input.lesions].reverse(), images: [...input.images].reverse(), exclusions: [...input.exclusions].reverse(), duplicates: [...input.duplicates].reverse() };
    expect(datasheetHtml(shuffled)).toBe(html);
  });

  it('names no lesion or image and no benchmark diagnosis term', () => {
    for (const l of lesions) expect(html).not.toContain(l.lesion_id);
    for (const i of images) expect(html).not.toContain(i.isic_id);
    const trainTerms = new Set(lesionsOf('train').map((l) => l.diagnosis_full));
    const benchmarkOnly = lesionsOf('benchmark').filter((l) => !trainTerms.has(l.diagnosis_full));
    expect(benchmarkOnly.length).toBeGreaterThan(0);
    for (const l of benchmarkOnly) expect(html).not.toContain(l.diagnosis_full);
  });
});

describe.skipIf(!CHROMIUM)(`datasheet rendered in Chromium${CHROMIUM_MISSING}`, () => {
  let dir: string;
  let measured: Measured;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-datasheet-'));
    const file = path.join(dir, 'DATASHEET.html');
    writeFileSync(file, html.replace('</body>', `${MEASURE}</body>`));
    const encoded = /data-measured="([A-Za-z0-9+/=]+)"/.exec(await renderedDom(file))?.[1];
    if (!encoded) throw new Error('the page did not report its layout');
    measured = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Measured;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const plot = (name: string) => {
    const found = measured.plots.find((p) => p.plot === name);
    if (!found) throw new Error(`no plot ${name}`);
    return found;
  };
  const section = (id: string) => measured.sections.find((s) => s.id === id)!;

  it('has every Datasheets for Datasets section, in order, each filled', () => {
    expect(measured.sections.map((s) => s.id)).toEqual(SECTIONS);
    for (const s of measured.sections) {
      expect(s.heading.length, s.id).toBeGreaterThan(0);
      expect(s.text.length, s.id).toBeGreaterThan(250);
    }
  });

  it('fills the sections from the data', () => {
    const composition = section('composition').text;
    expect(composition).toContain(`${lesions.length} lesions and ${images.length} images`);
    for (const split of SPLITS) expect(composition).toContain(`${split}: ${lesionsOf(split).length} lesions, ${imagesOf(split).length} images`);
    const collection = section('collection').text;
    for (const centre of CENTRES) expect(collection).toContain(centre);
    expect(collection).toContain('321 identifying values');
    const preprocessing = section('preprocessing').text;
    expect(preprocessing).toMatch(/qc\s+too-small\s+2/);
    expect(preprocessing).toMatch(/parse\s+missing-columns\s+1/);
    expect(preprocessing).toContain('2 duplicate groups with 4 released images: 1 exact, 1 near');
    const blurry = (split: Split) => imagesOf(split).filter((i) => i.qc_warnings.split(';').includes('blurry')).length;
    expect(preprocessing).toMatch(new RegExp(`blurry\\s+${blurry('train')}\\s+${blurry('benchmark')}`));
    // what produced the MONET_* columns, and how well it agrees with MONET per concept and image type
    expect(preprocessing).toContain('concept model distilled@0123456789ab');
    expect(preprocessing).toContain('Trained on the official MONET scores (2400 lesions)');
    expect(preprocessing).toMatch(/MONET_vasculature_vessels\s+0\.73\s+0\.63/);
    expect(preprocessing).toMatch(/mean\s+0\.81\s+0\.77/);
    expect(section('distribution').text).toContain(CONTENT_HASH);
    expect(section('distribution').text).toContain('CC-BY-NC');
  });

  it('draws one bar per category and split for class, centre, skin tone, site and age, counting the lesions given', () => {
    const categories = (values: (string | null)[]) => new Set(values.map((v) => v ?? 'unknown')).size;
    const expected: Record<string, number> = {
      class: CLASSES.length,
      centre: categories(lesions.map((l) => l.centre)),
      skin_tone: 6 + (lesions.some((l) => l.skin_tone_class === null) ? 1 : 0),
      site: categories(lesions.map((l) => l.site)),
      age: 18,
    };
    for (const [name, count] of Object.entries(expected)) {
      const p = plot(name);
      expect(p.bars, name).toHaveLength(count * SPLITS.length);
      expect(p.width * p.height, name).toBeGreaterThan(0);
      for (const split of SPLITS) {
        const known = name === 'age' ? lesionsOf(split).filter((l) => l.age_approx !== null) : lesionsOf(split);
        const bars = p.bars.filter((b) => b.split === split);
        expect(bars.reduce((sum, b) => sum + b.count, 0), `${name} ${split}`).toBe(known.length);
        // drawn: a bar has height exactly when it counts something
        for (const b of bars) expect(b.height > 0, `${name} ${split} ${b.category}`).toBe(b.count > 0);
      }
    }
  });

  it('gives the benchmark its class distribution as counts per class only', () => {
    const bars = plot('class').bars.filter((b) => b.split === 'benchmark');
    expect(Object.fromEntries(bars.map((b) => [b.category, b.count]))).toEqual(
      Object.fromEntries(CLASSES.map((c) => [c, lesionsOf('benchmark').filter((l) => l.diagnosis_class === c).length])),
    );
  });

  it('draws a histogram of every MONET concept score per split over all images', () => {
    for (const column of CONCEPT_COLUMNS) {
      const p = plot(column);
      expect(p.bars, column).toHaveLength(10 * SPLITS.length);
      for (const split of SPLITS) {
        const bars = p.bars.filter((b) => b.split === split);
        expect(bars.reduce((sum, b) => sum + b.count, 0), `${column} ${split}`).toBe(imagesOf(split).length);
        const top = imagesOf(split).filter((i) => i.concepts[column] >= 0.9).length;
        expect(bars.at(-1)!.count, `${column} ${split}: scores from 0.9 to 1.0`).toBe(top);
        for (const b of bars) expect(b.height > 0, `${column} ${split} ${b.category}`).toBe(b.count > 0);
      }
    }
  });
});
