import { stringify } from 'csv-stringify/sync';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CaseImage, CaseLesion, ConceptRow, DuplicateGroupRow } from '../../schemas/cases.ts';
import type { ReleaseResult } from '../../schemas/payloads.ts';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ReleaseInfo } from '../../schemas/catalog.ts';
import type { z } from 'zod';
import { Exclusion, ObjectChange, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import { SplitRow } from '../../schemas/split.ts';
import { deidentificationReport, deidentificationSummary } from './deidentification-report.ts';
import { writeCroissant, writeVersionDocuments } from './release-documents.ts';
import { phiValues } from './phi-values.ts';
import { BUILD_PARTITION } from '../assemble/activity.ts';
import type { ActivityDeps } from '../deps.ts';
import { csvSafe } from '../storage/csv-safe.ts';
import { sha256, writeFileAtomic } from '../storage/files.ts';
import { PublicIds } from '../deidentify/public-ids.ts';
import { recordProvenance } from '../provenance/record-provenance.ts';
import { changeReasons } from './change-reasons.ts';
import { ReleaseCatalog } from './release-catalog.ts';
import { catalogEntry, RELEASE_INFO_FILE, versionRelease, type VersionedRelease } from './release-version.ts';
import { LeakFound, writeRelease } from './write-release.ts';

export function releaseActivities(deps: ActivityDeps) {
  return {
    /**
     * Single writer: writes the release folder from the build's public cases, split and concept
     * scores; versions it against the private catalog (no change, no new version) and records a new
     * version there once the release is in place.
     */
    async writeRelease(): Promise<ReleaseResult> {
      const splitOf = new Map((await deps.lake.read('split', SplitRow, BUILD_PARTITION)).map((r) => [r.lesion_id, r.split]));
      // A lesion without a split row is a split conflict (excluded by the split stage): it is not released.
      const lesions = (await deps.lake.readShard('cases', BUILD_PARTITION, 'lesions', CaseLesion)).filter((l) => splitOf.has(l.lesion_id));
      const images = (await deps.lake.readShard('cases', BUILD_PARTITION, 'images', CaseImage)).filter((i) => splitOf.has(i.lesion_id));
      const concepts = new Map((await deps.lake.read('concepts', ConceptRow, BUILD_PARTITION)).map((r) => [r.isic_id, r.scores]));
      const exclusions = await deps.lake.readPartitions('exclusions', Exclusion, [...deps.centreIds, BUILD_PARTITION]);
      const centres = deps.centreIds;
      const readCentres = <T>(table: string, schema: z.ZodType<T>) => deps.lake.readPartitions(table, schema, centres);
      const records = await readCentres('records', PrivateRecord);
      const processed = await readCentres('images', ProcessedImage);
      const phi = phiValues(deps.config.centres, records, await readCentres('inventory', SourceObject), processed);
      const { release } = deps.config;
      const conceptModel = (await deps.conceptModel()).version;
      const catalog = new ReleaseCatalog(deps.layout.releases);
      const latest = await catalog.latest();
      const previous = latest ? await catalog.read(latest.version) : undefined;
      const reasons = changeReasons({
        previous: new Set(previous?.snapshot.lesions.map((l) => l.lesion_id)),
        current: new Set(lesions.map((l) => l.lesion_id)),
        everReleased: await everReleased(catalog),
        lesionKeyOf: (await PublicIds.open(deps.layout.idMap)).lesionKeys(),
        records,
        exclusions,
        changes: await readCentres('changes', ObjectChange),
      });
      const { workflowExecution } = Context.current().info;
      const deidentification = deidentificationSummary(centres, records, processed);
      let versioned: VersionedRelease | undefined;
      const written = await writeRelease(
        {
          lesions,
          benchmark: new Set([...splitOf].filter(([, split]) => split === 'benchmark').map(([id]) => id)),
          images,
          concepts,
          exclusions: exclusions.map(({ centre, stage, entity, reason }) => ({ centre, stage, entity, reason })),
          duplicates: (await deps.lake.readShard('cases', BUILD_PARTITION, 'duplicates', DuplicateGroupRow)).flatMap((group, g) =>
            group.isicIds.map((isic_id) => ({ duplicate_group: g + 1, isic_id, kind: group.kind, max_distance: group.maxDistance, cross_lesion: group.crossLesion })),
          ),
          attribution: release.attribution,
          license: release.license,
          rights: { license: release.license, licenseUrl: release.licenseUrl, attribution: release.attribution, supplier: release.supplier },
        },
        deps.layout,
        phi,
        {
          report: (scan) => deidentificationReport(deidentification, scan),
          inputs: { name: release.name },
          stillCurrent: async (dir) => (await readReleaseInfo(dir)).version === latest?.version,
          describe: async (staging, released) => {
            versioned = await versionRelease(catalog, previous, release.name, released, conceptModel, reasons);
            await writeVersionDocuments(staging, released, versioned, release, deidentification);
          },
          index: (staging, entries) => writeCroissant(staging, entries, versioned!.info, release),
          commit: async (manifest) => {
            if (versioned?.decision.kind !== 'new') return;
            const entry = catalogEntry(versioned, sha256(manifest), { workflowId: workflowExecution?.workflowId ?? '', runId: workflowExecution?.runId ?? '', createdAt: new Date().toISOString() });
            await catalog.record(entry, { snapshot: versioned.snapshot, changes: versioned.changes, manifest, reasons: versioned.reasons });
            const { version, contentHash } = versioned.info;
            const detail = { version, contentHash, lesionIds: lesions.map((l) => l.lesion_id).sort(), imageIds: images.map((i) => i.isic_id).sort() };
            await recordProvenance(deps, BUILD_PARTITION, [{ activity: 'release', entity: { kind: 'release', id: version }, inputs: [], outputs: [{ role: 'manifest', sha256: entry.manifestSha256 }], detail }], { onlyChanges: true });
          },
        },
      ).catch((err: unknown) => {
        if (err instanceof LeakFound) throw ApplicationFailure.nonRetryable(err.message);
        throw err;
      });
      if (!written.reused) await writeFileAtomic(path.join(deps.layout.private, 'reports', 'exclusions.csv'), exclusionsReport(exclusions));
      const exclusionsByReason: Record<string, number> = {};
      for (const e of exclusions) exclusionsByReason[`${e.entity}:${e.reason}`] = (exclusionsByReason[`${e.entity}:${e.reason}`] ?? 0) + 1;
      const info = await readReleaseInfo(written.path);
      return {
        path: written.path,
        manifestSha256: written.manifestSha256,
        version: info.version,
        previousVersion: info.previousVersion,
        newVersion: versioned?.decision.kind === 'new',
        contentHash: info.contentHash,
        lesions: lesions.length,
        images: images.length,
        exclusionsByReason,
        reused: written.reused,
        conceptModel,
        leakScan: { filesScanned: written.scan.filesScanned, phiValuesSearched: written.scan.valuesSearched, hits: written.scan.hits.length, patternWarnings: written.scan.patternWarnings.length },
      };
    },
  };
}

/** The RELEASE.json of a release folder. */
async function readReleaseInfo(dir: string): Promise<ReleaseInfo> {
  return ReleaseInfo.parse(JSON.parse(await readFile(path.join(dir, RELEASE_INFO_FILE), 'utf8')));
}

/** Every lesion id that any recorded version released. */
async function everReleased(catalog: ReleaseCatalog): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const { version } of await catalog.versions()) for (const lesion of (await catalog.read(version)).snapshot.lesions) ids.add(lesion.lesion_id);
  return ids;
}

/**
 * The private, human-readable list of every exclusion with its source file, row and reason. Keys and
 * details quote what centres sent, so every cell goes through csvSafe: no formula runs when a curator
 * opens the report in a spreadsheet.
 */
export function exclusionsReport(exclusions: Exclusion[]): string {
  const cells = (e: Exclusion) => ({ centre: e.centre, stage: e.stage, entity: e.entity, reason: e.reason, key: e.key ?? '', row: e.row ?? '', detail: e.detail });
  return stringify(
    exclusions.map((e) => Object.fromEntries(Object.entries(cells(e)).map(([column, value]) => [column, csvSafe(value)]))),
    { header: true, record_delimiter: '\n' },
  );
}
