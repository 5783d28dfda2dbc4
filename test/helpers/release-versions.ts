import { changesFile } from '../../activities/release/versions/changes-file.ts';
import type { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import { diffReleases } from '../../activities/release/versions/release-diff.ts';
import { decideVersion, type VersionDecision } from '../../activities/release/versions/version-rules.ts';
import type { RecordedReasons, Snapshot } from '../../schemas/catalog.ts';
import { sha256 } from '../../activities/storage/files.ts';

/**
 * Records `snapshot` as the next version of `catalog` the way a build does (diff to the latest,
 * version rule, CHANGES.md), with a stand-in manifest; returns the decision.
 */
export async function recordBuild(catalog: ReleaseCatalog, snapshot: Snapshot, reasons: RecordedReasons = {}): Promise<VersionDecision> {
  const latest = await catalog.latest();
  const previous = latest ? await catalog.read(latest.version) : undefined;
  const entries = diffReleases(previous?.snapshot, snapshot, new Map(Object.entries(reasons)));
  const decision = decideVersion(previous, snapshot, entries);
  if (decision.kind === 'unchanged') return decision;
  const manifest = `${sha256(decision.contentHash)}  MILK10k_Training_Metadata.csv\n`;
  await catalog.record(
    {
      version: decision.version,
      previousVersion: decision.previousVersion,
      bump: decision.bump,
      contentHash: decision.contentHash,
      manifestSha256: sha256(manifest),
      lesions: snapshot.lesions.length,
      images: snapshot.images.length,
      benchmarkLesions: snapshot.lesions.filter((l) => l.split === 'benchmark').length,
      workflowId: 'build-milk10k',
      runId: `run-${decision.version}`,
      createdAt: new Date().toISOString(),
    },
    { snapshot, changes: changesFile('MILK10k', decision, entries), manifest, reasons },
  );
  return decision;
}
