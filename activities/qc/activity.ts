import pMap from 'p-map';
import sharp from 'sharp';
import type { QcReportResult } from '../../schemas/payloads.ts';
import type { ActivityDeps } from '../deps.ts';
import { getRequired } from '../storage/blob-store.ts';
import { BUILD_PARTITION, tables } from '../storage/tables.ts';
import { QC_CHECKS } from '../../schemas/qc-checks.ts';
import { qcReportHtml, shownImages } from './qc-report.ts';

const THUMBNAIL_WIDTH = 140;

export function qcActivities(deps: ActivityDeps) {
  return {
    /** Writes the build's QC report (HTML, self-contained) next to the release: reports/qc-report.html. */
    async writeQcReport(): Promise<QcReportResult> {
      const processed = await deps.lake.readPartitions(tables.images, deps.centreIds);
      const typeOf = new Map((await deps.lake.readPartitions(tables.records, deps.centreIds)).map((r) => [`${r.centre}\u0000${r.imageKey}`, r.imageType]));
      const flags = await deps.lake.read(tables.qcFlags, BUILD_PARTITION);
      const duplicates = await deps.lake.read(tables.duplicates, BUILD_PARTITION);
      const thumbnails = new Map(
        await pMap(shownImages(flags, duplicates), async (sha) => [sha, await sharp(await getRequired(deps.store, deps.layout.deidImage(sha))).resize({ width: THUMBNAIL_WIDTH }).jpeg({ quality: 70 }).toBuffer()] as const, { concurrency: 4 }),
      );
      const html = qcReportHtml({
        title: `QC report: ${deps.config.dataset}`,
        checks: QC_CHECKS,
        settings: deps.config.qc.checks,
        images: processed.map((p) => ({ deidSha256: p.deidSha256, centre: p.centre, imageType: typeOf.get(`${p.centre}\u0000${p.key}`) ?? 'unknown', scores: p.qc })),
        flags,
        duplicates,
        thumbnails,
      });
      const key = deps.layout.report('qc-report.html');
      await deps.store.put(key, html);
      return { path: deps.store.where(key), flaggedImages: new Set(flags.map((f) => f.deidSha256)).size, duplicateGroups: duplicates.length };
    },
  };
}
