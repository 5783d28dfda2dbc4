import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BENCHMARK_TRUTH_FILES, SPLIT_FILES, SPLITS, type PublicImage, type Split } from '../../schemas/release.ts';
import { disallowedXmpProperties, insertRightsXmp, type RightsMetadata } from '../deidentify/rights-xmp.ts';
import { verifyClean } from '../deidentify/strip-jpeg.ts';
import { sha256, writeFileAtomic } from '../storage/files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { scanForLeaks, type LeakScan } from './leak-scan.ts';
import { MANIFEST, manifestEntries, manifestText, releaseFingerprint, type ManifestEntry } from './manifest.ts';
import type { PhiValue } from './phi-values.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from './release-csvs.ts';
import { writeReleaseTables, type ReleaseTables } from './release-tables.ts';

/** Everything a release holds: its tables (lesions of both splits, the benchmark's ids, images, ...) and the rights every row and image carries. */
export interface ReleaseContent extends ReleaseTables {
  attribution: string;
  license: string;
  rights: Omit<RightsMetadata, 'isicId'>;
}

/** The documents of a release besides its data. */
export interface ReleaseDocs {
  /** the de-identification report, from the leak scan's outcome (written after the scan) */
  report: (scan: LeakScan) => unknown;
  /** writes the documents that describe the released data (version, changes, Croissant, datasheet) into the staging folder, before the scan */
  describe?: (staging: string, released: ReleaseContent) => Promise<void>;
  /** writes the description that lists every other file with its hash (Croissant), after all of them and before the manifest; returns the files it wrote */
  index?: (staging: string, entries: readonly ManifestEntry[]) => Promise<string[]>;
  /** whatever else those documents depend on, so a change to it rewrites the release */
  inputs?: unknown;
  /** whether the documents of a release kept from identical inputs still hold (e.g. its version is still the latest) */
  stillCurrent?: (release: string) => Promise<boolean>;
  /** runs once the release is in place and before it is marked as built from these inputs (a crash in between rewrites it) */
  commit?: (manifest: string) => Promise<void>;
}

export interface WrittenRelease {
  path: string;
  manifestSha256: string;
  scan: LeakScan;
  /** true when the release already there was built from the same inputs and kept */
  reused: boolean;
}

/** Bump when the release files change for the same inputs (layout, formats, headers). */
export const RELEASE_FORMAT_VERSION = 2;

interface ReleaseState {
  inputHash: string;
  /** the folder's file list with sizes and times when it was written (see releaseFingerprint) */
  fingerprint: string;
  manifestSha256: string;
  scan: LeakScan;
}

export const DEIDENTIFICATION_REPORT = 'DEIDENTIFICATION_REPORT.json';

/** The release held PHI: it was moved aside, never published. */
export class LeakFound extends Error {}

const splitOf = (content: ReleaseContent, lesionId: string): Split => (content.benchmark.has(lesionId) ? 'benchmark' : 'train');

/** The lesions and images of each split. */
function splitContent(content: ReleaseContent): Record<Split, Pick<ReleaseContent, 'lesions' | 'images'>> {
  const side = (split: Split) => ({
    lesions: content.lesions.filter((l) => splitOf(content, l.lesion_id) === split),
    images: content.images.filter((i) => splitOf(content, i.lesion_id) === split),
  });
  return { train: side('train'), benchmark: side('benchmark') };
}

/** The benchmark's labels, in the official ground-truth and supplement formats, under private/ only: for the scoring tool. */
async function writeBenchmarkTruth(layout: StorageLayout, benchmark: Pick<ReleaseContent, 'lesions' | 'images'>): Promise<void> {
  await writeFileAtomic(path.join(layout.benchmarkTruth, BENCHMARK_TRUTH_FILES.groundTruth), groundTruthCsv(benchmark));
  await writeFileAtomic(path.join(layout.benchmarkTruth, BENCHMARK_TRUTH_FILES.supplement), supplementCsv(benchmark));
}

/**
 * Writes a complete release into a fresh folder beside the target, scans every byte of it for every
 * known PHI value, and swaps it in only when the scan finds none, so the release folder always holds
 * one whole, scanned build. Reads de-identified images only.
 */
export async function writeRelease(
  content: ReleaseContent,
  layout: StorageLayout,
  phi: readonly PhiValue[],
  docs: ReleaseDocs,
): Promise<WrittenRelease> {
  const target = layout.release;
  // The same inputs, scanned against the same PHI values, give the same release: a no-change rebuild
  // keeps the release (and its scan) it already has instead of writing and scanning it again.
  const inputHash = releaseInputHash(content, phi, docs.inputs);
  const state = await readReleaseState(layout);
  // Reuse only a folder nobody has touched since: a file changed, added or removed forces a rewrite.
  if (
    state?.inputHash === inputHash &&
    (await releaseFingerprint(target).catch(() => undefined)) === state.fingerprint &&
    (await (docs.stillCurrent?.(target) ?? true))
  ) {
    return { path: target, manifestSha256: state.manifestSha256, scan: state.scan, reused: true };
  }
  const staging = `${target}.building-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  // Each image gets the rights metadata ISIC publishes with its images, and nothing else; the
  // tables then describe the bytes actually released.
  const images: PublicImage[] = [];
  for (const image of content.images) {
    const released = insertRightsXmp(await readFile(layout.deidImage(image.sha256)), { ...content.rights, isicId: image.isic_id });
    verifyClean(released, disallowedXmpProperties);
    const folder = path.join(staging, SPLIT_FILES[splitOf(content, image.lesion_id)].input, image.lesion_id);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `${image.isic_id}.jpg`), released);
    images.push({ ...image, sha256: sha256(released) });
  }
  content = { ...content, images };
  const sides = splitContent(content);
  for (const split of SPLITS) await writeFile(path.join(staging, SPLIT_FILES[split].metadata), metadataCsv({ ...content, ...sides[split] }));
  await writeFile(path.join(staging, 'MILK10k_Training_GroundTruth.csv'), groundTruthCsv(sides.train));
  await writeFile(path.join(staging, 'MILK10k_Training_Supplement.csv'), supplementCsv(sides.train));
  await mkdir(path.join(staging, 'tables'));
  await writeReleaseTables(path.join(staging, 'milk10k.duckdb'), path.join(staging, 'tables'), content);
  await docs.describe?.(staging, content);

  const scan = await scanForLeaks(staging, phi);
  if (scan.hits.length > 0) {
    const quarantine = path.join(layout.private, 'quarantine', path.basename(staging));
    await mkdir(path.dirname(quarantine), { recursive: true });
    await rename(staging, quarantine);
    const where = scan.hits.slice(0, 10).map((h) => `${h.file} (${h.location}): ${h.kind}`);
    throw new LeakFound(`leak scan found ${scan.hits.length} PHI value(s) in the release, which was moved to ${quarantine}: ${where.join('; ')}`);
  }
  await writeFile(path.join(staging, DEIDENTIFICATION_REPORT), `${JSON.stringify(docs.report(scan), null, 2)}\n`);
  // Every file is hashed once: the index (Croissant) lists these entries, and the manifest adds the index's own.
  const entries = await manifestEntries(staging);
  const indexed = (await docs.index?.(staging, entries)) ?? [];
  const manifest = manifestText([...entries, ...(await manifestEntries(staging, indexed))]);
  await writeFile(path.join(staging, MANIFEST), manifest);

  const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
  await rename(target, previous).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
  await writeBenchmarkTruth(layout, sides.benchmark);
  await docs.commit?.(manifest);
  const written = { path: target, manifestSha256: sha256(manifest), scan, reused: false };
  const fingerprint = await releaseFingerprint(target);
  await writeFileAtomic(layout.releaseState, JSON.stringify({ inputHash, fingerprint, manifestSha256: written.manifestSha256, scan } satisfies ReleaseState));
  return written;
}

function releaseInputHash(content: ReleaseContent, phi: readonly PhiValue[], extra: unknown): string {
  const concepts = [...content.concepts].sort(([a], [b]) => (a < b ? -1 : 1));
  const values = phi.map((p) => `${p.kind}\u0000${p.value}`).sort();
  return sha256(JSON.stringify({ RELEASE_FORMAT_VERSION, content: { ...content, concepts, benchmark: [...content.benchmark].sort() }, values, extra }));
}

async function readReleaseState(layout: StorageLayout): Promise<ReleaseState | undefined> {
  try {
    return JSON.parse(await readFile(layout.releaseState, 'utf8')) as ReleaseState;
  } catch {
    return undefined;
  }
}

