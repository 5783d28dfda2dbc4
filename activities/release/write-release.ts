import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ConceptScores, PublicDuplicate, PublicExclusion, PublicImage, PublicLesion } from '../../schemas/release.ts';
import { disallowedXmpProperties, insertRightsXmp, type RightsMetadata } from '../deidentify/rights-xmp.ts';
import { verifyClean } from '../deidentify/strip-jpeg.ts';
import { sha256, writeFileAtomic } from '../storage/files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { scanForLeaks, type LeakScan } from './leak-scan.ts';
import { MANIFEST, manifestOf, releaseFingerprint } from './manifest.ts';
import type { PhiValue } from './phi-values.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from './release-csvs.ts';
import { writeReleaseTables } from './release-tables.ts';

export interface ReleaseContent {
  lesions: readonly PublicLesion[];
  images: readonly PublicImage[];
  concepts: ReadonlyMap<string, ConceptScores>;
  exclusions: readonly PublicExclusion[];
  duplicates: readonly PublicDuplicate[];
  attribution: string;
  license: string;
  rights: Omit<RightsMetadata, 'isicId'>;
}

export interface WrittenRelease {
  path: string;
  manifestSha256: string;
  scan: LeakScan;
  /** true when the release already there was built from the same inputs and kept */
  reused: boolean;
}

/** Bump when the release files change for the same inputs (layout, formats, headers). */
const RELEASE_FORMAT_VERSION = 1;

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

/**
 * Writes a complete release into a fresh folder beside the target, scans every byte of it for every
 * known PHI value, and swaps it in only when the scan finds none, so the release folder always holds
 * one whole, scanned build. Reads de-identified images only.
 */
export async function writeRelease(
  content: ReleaseContent,
  layout: StorageLayout,
  phi: readonly PhiValue[],
  report: (scan: LeakScan) => unknown,
): Promise<WrittenRelease> {
  const target = layout.release;
  // The same inputs, scanned against the same PHI values, give the same release: a no-change rebuild
  // keeps the release (and its scan) it already has instead of writing and scanning it again.
  const inputHash = releaseInputHash(content, phi);
  const state = await readReleaseState(layout);
  // Reuse only a folder nobody has touched since: a file changed, added or removed forces a rewrite.
  if (state?.inputHash === inputHash && (await releaseFingerprint(target).catch(() => undefined)) === state.fingerprint) {
    return { path: target, manifestSha256: state.manifestSha256, scan: state.scan, reused: true };
  }
  const staging = `${target}.building-${randomBytes(4).toString('hex')}`;
  await mkdir(path.join(staging, 'MILK10k_Training_Input'), { recursive: true });
  for (const lesion of content.lesions) await mkdir(path.join(staging, 'MILK10k_Training_Input', lesion.lesion_id));
  // Each image gets the rights metadata ISIC publishes with its images, and nothing else; the
  // tables then describe the bytes actually released.
  const images: PublicImage[] = [];
  for (const image of content.images) {
    const released = insertRightsXmp(await readFile(layout.deidImage(image.sha256)), { ...content.rights, isicId: image.isic_id });
    verifyClean(released, disallowedXmpProperties);
    await writeFile(path.join(staging, 'MILK10k_Training_Input', image.lesion_id, `${image.isic_id}.jpg`), released);
    images.push({ ...image, sha256: sha256(released) });
  }
  content = { ...content, images };
  await writeFile(path.join(staging, 'MILK10k_Training_Metadata.csv'), metadataCsv(content));
  await writeFile(path.join(staging, 'MILK10k_Training_GroundTruth.csv'), groundTruthCsv(content));
  await writeFile(path.join(staging, 'MILK10k_Training_Supplement.csv'), supplementCsv(content));
  await mkdir(path.join(staging, 'tables'));
  await writeReleaseTables(path.join(staging, 'milk10k.duckdb'), path.join(staging, 'tables'), content);

  const scan = await scanForLeaks(staging, phi);
  if (scan.hits.length > 0) {
    const quarantine = path.join(layout.private, 'quarantine', path.basename(staging));
    await mkdir(path.dirname(quarantine), { recursive: true });
    await rename(staging, quarantine);
    const where = scan.hits.slice(0, 10).map((h) => `${h.file} (${h.location}): ${h.kind}`);
    throw new LeakFound(`leak scan found ${scan.hits.length} PHI value(s) in the release, which was moved to ${quarantine}: ${where.join('; ')}`);
  }
  await writeFile(path.join(staging, DEIDENTIFICATION_REPORT), `${JSON.stringify(report(scan), null, 2)}\n`);
  const manifest = await manifestOf(staging);
  await writeFile(path.join(staging, MANIFEST), manifest);

  const previous = `${target}.previous-${randomBytes(4).toString('hex')}`;
  await rename(target, previous).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, target);
  await rm(previous, { recursive: true, force: true });
  const written = { path: target, manifestSha256: sha256(manifest), scan, reused: false };
  const fingerprint = await releaseFingerprint(target);
  await writeFileAtomic(layout.releaseState, JSON.stringify({ inputHash, fingerprint, manifestSha256: written.manifestSha256, scan } satisfies ReleaseState));
  return written;
}

function releaseInputHash(content: ReleaseContent, phi: readonly PhiValue[]): string {
  const concepts = [...content.concepts].sort(([a], [b]) => (a < b ? -1 : 1));
  const values = phi.map((p) => `${p.kind}\u0000${p.value}`).sort();
  return sha256(JSON.stringify({ RELEASE_FORMAT_VERSION, content: { ...content, concepts }, values }));
}

async function readReleaseState(layout: StorageLayout): Promise<ReleaseState | undefined> {
  try {
    return JSON.parse(await readFile(layout.releaseState, 'utf8')) as ReleaseState;
  } catch {
    return undefined;
  }
}

