import { stringify } from 'csv-stringify/sync';
import path from 'node:path';
import { CaseImage, CaseLesion, ConceptRow, DuplicateGroupRow } from '../../schemas/cases.ts';
import type { ReleaseResult } from '../../schemas/payloads.ts';
import { ApplicationFailure } from '@temporalio/activity';
import type { z } from 'zod';
import { Exclusion, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import { deidentificationReport } from './deidentification-report.ts';
import { phiValues } from './phi-values.ts';
import { BUILD_PARTITION } from '../assemble/activity.ts';
import type { ActivityDeps } from '../deps.ts';
import { csvSafe } from '../storage/csv-safe.ts';
import { writeFileAtomic } from '../storage/files.ts';
import { LeakFound, writeRelease } from './write-release.ts';

export function releaseActivities(deps: ActivityDeps) {
  return {
    /** Single writer: writes the release folder from the build's public cases and concept scores. */
    async writeRelease(): Promise<ReleaseResult> {
      const lesions = await deps.lake.readShard('cases', BUILD_PARTITION, 'lesions', CaseLesion);
      const images = await deps.lake.readShard('cases', BUILD_PARTITION, 'images', CaseImage);
      const concepts = new Map((await deps.lake.read('concepts', ConceptRow, BUILD_PARTITION)).map((r) => [r.isic_id, r.scores]));
      const partitions = [...deps.config.centres.map((c) => c.id), BUILD_PARTITION];
      const exclusions = (await Promise.all(partitions.map((p) => deps.lake.read('exclusions', Exclusion, p)))).flat();
      const centres = deps.config.centres.map((c) => c.id);
      const readCentres = async <T>(table: string, schema: z.ZodType<T>) => (await Promise.all(centres.map((c) => deps.lake.read(table, schema, c)))).flat();
      const records = await readCentres('records', PrivateRecord);
      const processed = await readCentres('images', ProcessedImage);
      const phi = phiValues(deps.config.centres, records, await readCentres('inventory', SourceObject), processed);
      const written = await writeRelease(
        {
          lesions,
          images,
          concepts,
          exclusions: exclusions.map(({ centre, stage, entity, reason }) => ({ centre, stage, entity, reason })),
          duplicates: (await deps.lake.readShard('cases', BUILD_PARTITION, 'duplicates', DuplicateGroupRow)).flatMap((group, g) =>
            group.isicIds.map((isic_id) => ({ duplicate_group: g + 1, isic_id, kind: group.kind, max_distance: group.maxDistance, cross_lesion: group.crossLesion })),
          ),
          attribution: deps.config.release.attribution,
          license: deps.config.release.license,
          rights: {
            license: deps.config.release.license,
            licenseUrl: deps.config.release.licenseUrl,
            attribution: deps.config.release.attribution,
            supplier: deps.config.release.supplier,
          },
        },
        deps.layout,
        phi,
        (scan) => deidentificationReport(centres, records, processed, scan),
      ).catch((err: unknown) => {
        if (err instanceof LeakFound) throw ApplicationFailure.nonRetryable(err.message);
        throw err;
      });
      if (!written.reused) await writeFileAtomic(path.join(deps.layout.private, 'reports', 'exclusions.csv'), exclusionsReport(exclusions));
      const exclusionsByReason: Record<string, number> = {};
      for (const e of exclusions) exclusionsByReason[`${e.entity}:${e.reason}`] = (exclusionsByReason[`${e.entity}:${e.reason}`] ?? 0) + 1;
      return {
        path: written.path,
        manifestSha256: written.manifestSha256,
        lesions: lesions.length,
        images: images.length,
        exclusionsByReason,
        reused: written.reused,
        conceptModel: (await deps.conceptModel()).version,
        leakScan: { filesScanned: written.scan.filesScanned, phiValuesSearched: written.scan.valuesSearched, hits: written.scan.hits.length, patternWarnings: written.scan.patternWarnings.length },
      };
    },
  };
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
