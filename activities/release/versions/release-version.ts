import type { CatalogEntry, RecordedRelease, ReleaseInfo, Snapshot } from '../../../schemas/catalog.ts';
import type { ChangeReason } from '../../../schemas/catalog.ts';
import { changesFile } from './changes-file.ts';
import type { ReviewCounts } from '../../../schemas/review.ts';
import type { ReleaseCatalog } from './release-catalog.ts';
import { diffReleases } from './release-diff.ts';
import { decideVersion, type VersionDecision } from './version-rules.ts';
import { RELEASE_FORMAT_VERSION, type ReleaseContent } from '../write-release.ts';

export const RELEASE_INFO_FILE = 'RELEASE.json';

/** What versioning decided for a build, and the documents that say so. */
export interface VersionedRelease {
  decision: VersionDecision;
  snapshot: Snapshot;
  info: ReleaseInfo;
  /** CHANGES.md: new for a new version, the recorded one when the content is unchanged */
  changes: string;
  /** the reasons given for what this version added or removed, recorded in the catalog */
  reasons: Record<string, ChangeReason>;
}

/** What the catalog keeps of a release: every lesion with its split, every image with its released bytes' hash and scores. */
export function releaseSnapshot(content: ReleaseContent, conceptModel: string): Snapshot {
  return {
    formatVersion: RELEASE_FORMAT_VERSION,
    conceptModel,
    lesions: content.lesions.map((l) => ({ ...l, split: content.benchmark.has(l.lesion_id) ? 'benchmark' : 'train' })),
    images: content.images.map((i) => {
      const concepts = content.concepts.get(i.isic_id);
      if (!concepts) throw new Error(`no concept scores for ${i.isic_id}`);
      return { isic_id: i.isic_id, lesion_id: i.lesion_id, image_type: i.image_type, sha256: i.sha256, concepts };
    }),
  };
}

/**
 * Diffs a build's released content against the latest recorded version (`previous`) and decides its version by
 * the rules of version-rules.ts. An unchanged build is the latest version again, with its CHANGES.md.
 */
export async function versionRelease(
  catalog: ReleaseCatalog,
  previous: RecordedRelease | undefined,
  name: string,
  released: ReleaseContent,
  conceptModel: string,
  reasons: ReadonlyMap<string, ChangeReason>,
  review?: ReviewCounts,
): Promise<VersionedRelease> {
  const snapshot = releaseSnapshot(released, conceptModel);
  const entries = diffReleases(previous?.snapshot, snapshot, reasons);
  const decision = decideVersion(previous, snapshot, entries);
  if (decision.kind === 'unchanged') {
    return { decision, snapshot: previous!.snapshot, info: releaseInfo(name, previous!.entry, previous!.snapshot), changes: await catalog.changes(decision.version), reasons: {} };
  }
  const entry = { ...decision, lesions: snapshot.lesions.length, images: snapshot.images.length, benchmarkLesions: countBenchmark(snapshot) };
  const used = new Set(entries.filter((e) => e.change !== 'changed').map((e) => e.id));
  return {
    decision,
    snapshot,
    info: releaseInfo(name, entry, snapshot),
    changes: changesFile(name, decision, entries, undefined, review),
    reasons: Object.fromEntries([...reasons].filter(([id]) => used.has(id))),
  };
}

/** The catalog entry of a new version, once its manifest is known. */
export function catalogEntry(versioned: VersionedRelease, manifestSha256: string, run: { workflowId: string; runId: string; createdAt: string }): CatalogEntry {
  const { info } = versioned;
  return {
    version: info.version,
    previousVersion: info.previousVersion,
    bump: info.bump,
    contentHash: info.contentHash,
    manifestSha256,
    lesions: info.lesions,
    images: info.images,
    benchmarkLesions: info.benchmarkLesions,
    ...run,
  };
}

const countBenchmark = (snapshot: Snapshot) => snapshot.lesions.filter((l) => l.split === 'benchmark').length;

function releaseInfo(name: string, entry: Pick<CatalogEntry, 'version' | 'previousVersion' | 'bump' | 'contentHash'>, snapshot: Snapshot): ReleaseInfo {
  return {
    name,
    version: entry.version,
    previousVersion: entry.previousVersion,
    bump: entry.bump,
    contentHash: entry.contentHash,
    formatVersion: snapshot.formatVersion,
    conceptModel: snapshot.conceptModel,
    lesions: snapshot.lesions.length,
    images: snapshot.images.length,
    benchmarkLesions: countBenchmark(snapshot),
  };
}
