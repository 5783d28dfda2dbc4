import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MilkConfig } from '../../../schemas/config.ts';
import type { ReleaseInfo } from '../../../schemas/catalog.ts';
import type { ConceptModelDisclosure } from '../../../schemas/concept-model.ts';
import { CHANGES_FILE } from '../versions/changes-file.ts';
import { CROISSANT, croissantJsonLd } from './croissant.ts';
import { DATASET_CARD, datasetCard } from './hf-dataset.ts';
import { DATASHEET, datasheetHtml, type DatasheetInput } from './datasheet.ts';
import type { ManifestEntry } from '../manifest.ts';
import { RELEASE_INFO_FILE, type VersionedRelease } from '../versions/release-version.ts';
import type { ReleaseContent } from '../write-release.ts';

type ReleaseConfig = MilkConfig['release'];

/** Writes the documents that describe a versioned release: RELEASE.json, CHANGES.md, the datasheet and the dataset card (README.md). */
export async function writeVersionDocuments(
  staging: string,
  released: ReleaseContent,
  versioned: VersionedRelease,
  config: ReleaseConfig,
  deidentification: DatasheetInput['deidentification'],
  conceptModel: ConceptModelDisclosure,
): Promise<void> {
  await writeFile(path.join(staging, RELEASE_INFO_FILE), `${JSON.stringify({ ...versioned.info, conceptModelCard: conceptModel }, null, 2)}\n`);
  await writeFile(path.join(staging, CHANGES_FILE), versioned.changes);
  const split = (lesionId: string) => (released.benchmark.has(lesionId) ? 'benchmark' : 'train');
  const datasheet = datasheetHtml({
    release: { name: config.name, version: versioned.info.version, contentHash: versioned.info.contentHash, attribution: config.attribution, license: config.license, licenseUrl: config.licenseUrl },
    lesions: released.lesions.map((l) => ({ ...l, split: split(l.lesion_id) })),
    images: released.images.map((i) => ({ ...i, split: split(i.lesion_id), concepts: released.concepts.get(i.isic_id)! })),
    exclusions: released.exclusions,
    duplicates: released.duplicates,
    deidentification,
    conceptModel,
  });
  await writeFile(path.join(staging, DATASHEET), datasheet);
  const count = (side: 'train' | 'benchmark') => ({
    lesions: released.lesions.filter((l) => split(l.lesion_id) === side).length,
    images: released.images.filter((i) => split(i.lesion_id) === side).length,
  });
  const card = datasetCard({
    name: config.name, version: versioned.info.version, description: config.description, license: config.license, licenseUrl: config.licenseUrl,
    attribution: config.attribution, citation: config.citation, url: config.url, counts: { train: count('train'), benchmark: count('benchmark') },
  });
  await writeFile(path.join(staging, DATASET_CARD), card);
}

/**
 * Writes the Croissant description of every other file of the release (`entries`: their paths, hashes
 * and sizes); returns the file it wrote. `createdAt`: when the version was first created (the catalog's
 * time for a recorded version), its datePublished, so a rewrite of the same version gives the same bytes.
 */
export async function writeCroissant(staging: string, entries: readonly ManifestEntry[], info: ReleaseInfo, config: ReleaseConfig, conceptModel: ConceptModelDisclosure, createdAt?: string): Promise<string[]> {
  const description = { name: config.name, version: info.version, description: config.description, licenseUrl: config.licenseUrl ?? config.license, attribution: config.attribution, citeAs: config.citation, url: config.url, datePublished: createdAt, conceptModel };
  await writeFile(path.join(staging, CROISSANT), `${JSON.stringify(croissantJsonLd(description, entries), null, 2)}\n`);
  return [CROISSANT];
}
