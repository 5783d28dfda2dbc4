import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BENCHMARK_TRUTH_FILES, SPLIT_FILES, SPLITS, type PublicImage, type Split } from '../../schemas/release.ts';
import { verifyClean } from '../storage/jpeg/strip-jpeg.ts';
import { getRequired, getText } from '../storage/blob-store.ts';
import { sha256 } from '../storage/files.ts';
import type { Storage } from '../storage/storage.ts';
import { scanForLeaks, type LeakScan } from './leak-scan.ts';
import { publicVocabularyWords } from '../../schemas/vocabulary.ts';
import { MANIFEST, manifestText, releaseFingerprint, type ManifestEntry } from './manifest.ts';
import type { PhiValue } from '../storage/phi-values.ts';
import type { Exclusion } from '../../schemas/records.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from './release-csvs.ts';
import { writeReleaseTables, type ReleaseTables } from './release-tables.ts';
import { disallowedXmpProperties, insertRightsXmp, type RightsMetadata } from './rights-xmp.ts';

/**
 * The steps of writing a release, which the release activity calls in order: `keptRelease` (an
 * identical earlier build is kept), `stageRelease` (data into a local scratch folder), the documents,
 * `scanStaged` (every byte against every PHI value), the index and manifest, `swapRelease` (into the
 * store, whole), the catalog, then `markBuilt`. A crash anywhere before `markBuilt` rewrites the release.
 */

/** Everything a release holds: its tables (lesions of both splits, the benchmark's ids, images, ...) and the rights every row and image carries. */
export interface ReleaseContent extends ReleaseTables {
  attribution: string;
  license: string;
  rights: Omit<RightsMetadata, 'isicId'>;
}

/** A release being written: its local scratch folder, and its content with the released images' hashes. */
export interface StagedRelease {
  dir: string;
  content: ReleaseContent;
}

/** What the release in the store was built from, recorded once it is in place and committed. */
export interface ReleaseState {
  inputHash: string;
  /** the release's file list with sizes and versions when it was written (see releaseFingerprint) */
  fingerprint: string;
  manifestSha256: string;
  scan: LeakScan;
  /** the cases withheld because the scan found their own PHI in their files: public lesion ids, and their exclusions (private) */
  withheld?: { lesionIds: string[]; exclusions: Exclusion[] };
}

/** Bump when the release files change for the same inputs (layout, formats, headers). */
export const RELEASE_FORMAT_VERSION = 4;

export const DEIDENTIFICATION_REPORT = 'DEIDENTIFICATION_REPORT.json';

/** The release held PHI: it was moved aside, never published. */
export class LeakFound extends Error {}

const splitOf = (content: ReleaseContent, lesionId: string): Split => (content.benchmark.has(lesionId) ? 'benchmark' : 'train');

/** The lesions and images of each split. */
export function splitContent(content: ReleaseContent): Record<Split, Pick<ReleaseContent, 'lesions' | 'images'>> {
  const side = (split: Split) => ({
    lesions: content.lesions.filter((l) => splitOf(content, l.lesion_id) === split),
    images: content.images.filter((i) => splitOf(content, i.lesion_id) === split),
  });
  return { train: side('train'), benchmark: side('benchmark') };
}

/** The hash of everything a release is written from: the same inputs, scanned against the same PHI values, give the same release. */
export function releaseInputHash(content: ReleaseContent, phi: readonly PhiValue[], extra: unknown): string {
  const concepts = [...content.concepts].sort(([a], [b]) => (a < b ? -1 : 1));
  const values = phi.map((p) => `${p.kind}\u0000${p.value}`).sort();
  return sha256(JSON.stringify({ RELEASE_FORMAT_VERSION, content: { ...content, concepts, benchmark: [...content.benchmark].sort() }, values, extra }));
}

/**
 * The state of the release in the store when it was built from `inputHash` and nobody has touched
 * it since (a file changed, added or removed forces a rewrite): a no-change rebuild keeps it, and its scan.
 */
export async function keptRelease({ store, layout }: Storage, inputHash: string): Promise<ReleaseState | undefined> {
  const bytes = await store.get(layout.releaseState);
  const state = bytes && (JSON.parse(bytes.toString('utf8')) as ReleaseState);
  if (state?.inputHash !== inputHash) return undefined;
  return (await releaseFingerprint(store, layout.release)) === state.fingerprint ? state : undefined;
}

/**
 * Writes the release's data into a fresh scratch folder: each image with the rights metadata ISIC
 * publishes with its images and nothing else (the tables then describe the bytes actually released),
 * the official CSVs of both splits, and the Parquet and DuckDB tables (with each image folder's
 * metadata.parquet for Hugging Face imagefolder). Reads de-identified images only; `onImage` hears
 * of each image before it is staged.
 */
export async function stageRelease({ store, layout }: Storage, content: ReleaseContent, onImage?: (done: number, total: number) => void): Promise<StagedRelease> {
  await store.discardScratch(layout.release); // half-built copies of a crashed attempt
  const dir = await store.scratchDir(layout.release);
  const images: PublicImage[] = [];
  for (const image of content.images) {
    onImage?.(images.length, content.images.length);
    const released = insertRightsXmp(await getRequired(store, layout.deidImage(image.sha256)), { ...content.rights, isicId: image.isic_id });
    verifyClean(released, disallowedXmpProperties);
    const folder = path.join(dir, SPLIT_FILES[splitOf(content, image.lesion_id)].input, image.lesion_id);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `${image.isic_id}.jpg`), released);
    images.push({ ...image, sha256: sha256(released) });
  }
  const staged = { ...content, images };
  const sides = splitContent(staged);
  for (const split of SPLITS) await writeFile(path.join(dir, SPLIT_FILES[split].metadata), metadataCsv({ ...staged, ...sides[split] }));
  await writeFile(path.join(dir, 'MILK10k_Training_GroundTruth.csv'), groundTruthCsv(sides.train));
  await writeFile(path.join(dir, 'MILK10k_Training_Supplement.csv'), supplementCsv(sides.train));
  await mkdir(path.join(dir, 'tables'));
  // with each image folder's metadata.parquet for Hugging Face imagefolder (a split without images has no folder, so no file)
  const imageFolders = Object.fromEntries(SPLITS.filter((split) => sides[split].images.length > 0).map((split) => [split, path.join(dir, SPLIT_FILES[split].input)]));
  await writeReleaseTables(path.join(dir, 'milk10k.duckdb'), path.join(dir, 'tables'), staged, imageFolders);
  return { dir, content: staged };
}

/**
 * Scans every byte of the staged release for every known PHI value. A value made only of public
 * vocabulary words (a patient surnamed like a diagnosis, a stray file named like an image type) found
 * in a shared table or document is reported in the de-identification report, not a hit: those files
 * print the vocabulary for every case. In an image it is still a hit.
 */
export function scanStaged(staged: StagedRelease, phi: readonly PhiValue[]): Promise<LeakScan> {
  return scanForLeaks(staged.dir, phi, publicVocabularyWords());
}

/** Moves a release the scan found PHI in to private/quarantine, never to be published; LeakFound names the files (never the values) and what to do. */
export async function quarantineStaged({ store, layout }: Storage, staged: StagedRelease, scan: LeakScan): Promise<never> {
  const quarantine = layout.quarantine(path.basename(staged.dir));
  await store.replaceFolder(staged.dir, quarantine);
  const where = scan.hits.slice(0, 10).map((h) => `${h.file} (${h.location}): ${h.kind}`);
  throw new LeakFound(
    `leak scan found ${scan.hits.length} PHI value(s) in the release, which was moved to ${store.where(quarantine)}: ${where.join('; ')}. ` +
      'The current release stays; find which source value reached these files (a config value, a shared document), fix it and build again',
  );
}

/** The content without these lesions (and their images, scores and duplicate rows), with `exclusions` added to its public exclusions. */
export function withoutLesions(content: ReleaseContent, lesionIds: ReadonlySet<string>, exclusions: readonly Exclusion[]): ReleaseContent {
  const images = content.images.filter((i) => !lesionIds.has(i.lesion_id));
  const kept = new Set(images.map((i) => i.isic_id));
  return {
    ...content,
    lesions: content.lesions.filter((l) => !lesionIds.has(l.lesion_id)),
    benchmark: new Set([...content.benchmark].filter((id) => !lesionIds.has(id))),
    images,
    concepts: new Map([...content.concepts].filter(([isicId]) => kept.has(isicId))),
    duplicates: content.duplicates.filter((d) => kept.has(d.isic_id)),
    exclusions: [...content.exclusions, ...exclusions.map(({ centre, stage, entity, reason }) => ({ centre, stage, entity, reason }))],
  };
}

/** Writes the de-identification report (from the scan's outcome) into the staged release. */
export async function writeDeidentificationReport(staged: StagedRelease, report: unknown): Promise<void> {
  await writeFile(path.join(staged.dir, DEIDENTIFICATION_REPORT), `${JSON.stringify(report, null, 2)}\n`);
}

/** Writes MANIFEST.sha256 over these entries (every file, hashed once); returns its text. */
export async function writeManifest(staged: StagedRelease, entries: readonly ManifestEntry[]): Promise<string> {
  const manifest = manifestText(entries);
  await writeFile(path.join(staged.dir, MANIFEST), manifest);
  return manifest;
}

/** Puts the staged release in place of the store's, whole, and its benchmark labels under private/ only (for the scoring tool). */
export async function swapRelease({ store, layout }: Storage, staged: StagedRelease): Promise<void> {
  const sides = splitContent(staged.content);
  await store.replaceFolder(staged.dir, layout.release);
  await store.put(layout.benchmarkTruth(BENCHMARK_TRUTH_FILES.groundTruth), groundTruthCsv(sides.benchmark));
  await store.put(layout.benchmarkTruth(BENCHMARK_TRUTH_FILES.supplement), supplementCsv(sides.benchmark));
}

/** Records what the release in place was built from: the last step, after everything that depends on it is committed. */
export async function markBuilt({ store, layout }: Storage, state: Omit<ReleaseState, 'fingerprint'>): Promise<void> {
  const fingerprint = await releaseFingerprint(store, layout.release);
  await store.put(layout.releaseState, JSON.stringify({ ...state, fingerprint } satisfies ReleaseState));
}

/** A file of the release in the store, as text. */
export function releaseText({ store, layout }: Storage, file: string): Promise<string> {
  return getText(store, layout.releaseFile(file));
}
