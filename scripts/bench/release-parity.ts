import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import pMap from 'p-map';
import sharp from 'sharp';
import { CLASSES } from '../../schemas/release.ts';
import { sha256 } from '../../activities/storage/files.ts';

/** The lesion-level values a release must carry exactly as the official MILK10k files do. */
export const PARITY_FIELDS = ['label', 'age_approx', 'sex', 'skin_tone_class', 'site', 'diagnosis_full', 'diagnosis_confirm_type', 'invasion_thickness_interval'] as const;
type ParityField = (typeof PARITY_FIELDS)[number];
type LesionValues = Record<ParityField, string>;

interface Image {
  file: string;
  lesion: string;
}

export interface ReleaseParity {
  officialLesions: number;
  releasedLesions: number;
  /** released lesions whose two images both match one official lesion's images by decoded pixels */
  matchedLesions: number;
  /** matched only approximately (their images were re-encoded upright, so the pixels differ slightly) */
  approximateImages: number;
  equal: Record<ParityField, number>;
  /** official lesions no released lesion matched */
  missing: number;
  mismatches: string[];
}

type Row = Record<string, string>;
const readCsv = async (file: string): Promise<Row[]> => parse(await readFile(file), { columns: true, skip_empty_lines: true }) as Row[];

/**
 * Compares a release with the official MILK10k folders it was generated from. Ids are new in a
 * release, so images are matched by their decoded pixels: exactly for losslessly de-identified
 * images, by the nearest 32x24 thumbnail for those re-encoded upright. Then every matched lesion's
 * label, age, sex, skin tone, site, diagnosis, confirmation type and thickness is compared.
 */
export async function compareWithOfficial(officialDirs: readonly string[], releaseDir: string, benchmarkDir: string): Promise<ReleaseParity> {
  const official = await readLayout(officialDirs.map((dir) => ({ dir, inputs: ['MILK10k_Training_Input'], metadata: ['MILK10k_Training_Metadata.csv'], supplement: ['MILK10k_Training_Supplement.csv'], truth: ['MILK10k_Training_GroundTruth.csv'] })));
  const released = await readLayout([
    {
      dir: releaseDir,
      inputs: ['MILK10k_Training_Input', 'MILK10k_Test_Input'],
      metadata: ['MILK10k_Training_Metadata.csv', 'MILK10k_Test_Metadata.csv'],
      supplement: ['MILK10k_Training_Supplement.csv', path.join(benchmarkDir, 'MILK10k_Test_Supplement.csv')],
      truth: ['MILK10k_Training_GroundTruth.csv', path.join(benchmarkDir, 'MILK10k_Test_GroundTruth.csv')],
    },
  ]);
  const officialPrints = await fingerprints(official.images);
  const officialByPixels = new Map<string, Set<string>>();
  official.images.forEach((image, i) => officialByPixels.set(officialPrints[i]!.pixels, (officialByPixels.get(officialPrints[i]!.pixels) ?? new Set()).add(image.lesion)));
  const releasedPrints = await fingerprints(released.images);

  // Per released lesion, the official lesions each of its images can come from; its source is their intersection.
  const sourcesOf = new Map<string, Set<string>[]>();
  const add = (lesion: string, sources: Set<string>) => sourcesOf.set(lesion, [...(sourcesOf.get(lesion) ?? []), sources]);
  const unmatched: number[] = [];
  released.images.forEach((image, i) => {
    const hit = officialByPixels.get(releasedPrints[i]!.pixels);
    if (hit) add(image.lesion, hit);
    else unmatched.push(i);
  });
  const candidates = official.images.map((image, i) => ({ image, print: officialPrints[i]! }));
  for (const i of unmatched) {
    const target = releasedPrints[i]!.thumbnail;
    let best: { lesion: string; distance: number } | undefined;
    for (const c of candidates) {
      const distance = squaredDistance(target, c.print.thumbnail);
      if (!best || distance < best.distance) best = { lesion: c.image.lesion, distance };
    }
    add(released.images[i]!.lesion, new Set(best ? [best.lesion] : []));
  }

  const equal = Object.fromEntries(PARITY_FIELDS.map((f) => [f, 0])) as Record<ParityField, number>;
  const mismatches: string[] = [];
  const seen = new Set<string>();
  let matchedLesions = 0;
  for (const [lesion, values] of released.lesions) {
    const sources = (sourcesOf.get(lesion) ?? [new Set<string>()]).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
    if (sources.size !== 1) {
      mismatches.push(`${lesion}: its images match ${sources.size === 0 ? 'no' : 'several'} official lesions`);
      continue;
    }
    const source = [...sources][0]!;
    seen.add(source);
    matchedLesions++;
    const expected = official.lesions.get(source)!;
    for (const field of PARITY_FIELDS) {
      if (values[field] === expected[field]) equal[field]++;
      else mismatches.push(`${lesion} (${source}) ${field}: released ${JSON.stringify(values[field])}, official ${JSON.stringify(expected[field])}`);
    }
  }
  return { officialLesions: official.lesions.size, releasedLesions: released.lesions.size, matchedLesions, approximateImages: unmatched.length, equal, missing: official.lesions.size - seen.size, mismatches };
}

interface LayoutFiles {
  dir: string;
  inputs: string[];
  metadata: string[];
  supplement: string[];
  truth: string[];
}

/** Lesions with their lesion-level values, and every image file with its lesion, of one or more MILK10k layouts. */
async function readLayout(layouts: readonly LayoutFiles[]): Promise<{ lesions: Map<string, LesionValues>; images: Image[] }> {
  const lesions = new Map<string, LesionValues>();
  const images: Image[] = [];
  for (const layout of layouts) {
    const at = (file: string) => path.resolve(layout.dir, file);
    const supplement = new Map<string, Row>();
    for (const file of layout.supplement) for (const row of await readCsv(at(file))) supplement.set(row.isic_id!, row);
    const labels = new Map<string, string>();
    for (const file of layout.truth) for (const row of await readCsv(at(file))) labels.set(row.lesion_id!, CLASSES.filter((c) => Number(row[c]) > 0.5).join('+'));
    for (const file of layout.metadata) {
      for (const row of await readCsv(at(file))) {
        const extra = supplement.get(row.isic_id!) ?? {};
        lesions.set(row.lesion_id!, {
          label: labels.get(row.lesion_id!) ?? '',
          age_approx: row.age_approx ?? '',
          sex: row.sex ?? '',
          skin_tone_class: row.skin_tone_class ?? '',
          site: row.site ?? '',
          diagnosis_full: extra.diagnosis_full ?? '',
          diagnosis_confirm_type: extra.diagnosis_confirm_type ?? '',
          invasion_thickness_interval: extra.invasion_thickness_interval ?? '',
        });
      }
    }
    for (const input of layout.inputs) {
      for (const lesion of (await readdir(at(input))).filter((name) => !name.endsWith('.csv')).sort()) {
        for (const file of (await readdir(path.join(at(input), lesion))).sort()) images.push({ file: path.join(at(input), lesion, file), lesion });
      }
    }
  }
  return { lesions, images };
}

const THUMB = { width: 32, height: 24 };

/** sha256 of the decoded RGB pixels (at a quarter of the width), and a small greyscale thumbnail for the approximate match. */
async function fingerprints(images: readonly Image[]): Promise<{ pixels: string; thumbnail: Uint8Array }[]> {
  return pMap(
    images,
    async (image) => {
      // A DCT-scaled decode is as deterministic as a full one, and several times cheaper.
      const decoded = await sharp(await readFile(image.file)).removeAlpha().resize({ width: 150 }).raw().toBuffer({ resolveWithObject: true });
      const thumbnail = await sharp(decoded.data, { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels } })
        .resize(THUMB.width, THUMB.height, { fit: 'fill' })
        .greyscale()
        .raw()
        .toBuffer();
      return { pixels: sha256(decoded.data), thumbnail };
    },
    { concurrency: 4 },
  );
}

function squaredDistance(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}
