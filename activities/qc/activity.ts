import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pMap from 'p-map';
import sharp from 'sharp';
import { DuplicateGroupRow, QcFlagRow } from '../../schemas/cases.ts';
import type { QcReportResult } from '../../schemas/payloads.ts';
import { PrivateRecord, ProcessedImage } from '../../schemas/records.ts';
import { BUILD_PARTITION } from '../assemble/activity.ts';
import type { ActivityDeps } from '../deps.ts';
import { writeFileAtomic } from '../storage/files.ts';
import { QC_CHECKS } from './checks.ts';
import { qcReportHtml, shownImages } from './qc-report.ts';

const THUMBNAIL_WIDTH = 140;

export function qcActivities(deps: ActivityDeps) {
  return {
    /** Writes the build's QC report (HTML, self-contained) next to the release: reports/qc-report.html. */
    async writeQcReport(): Promise<QcReportResult> {
      const processed = await deps.lake.readPartitions('images', ProcessedImage, deps.centreIds);
      const typeOf = new Map((await deps.lake.readPartitions('records', PrivateRecord, deps.centreIds)).map((r) => [`${r.centre}\u0000${r.imageKey}`, r.imageType]));
      const flags = await deps.lake.readShard('cases', BUILD_PARTITION, 'qc-flags', QcFlagRow);
      const duplicates = await deps.lake.readShard('cases', BUILD_PARTITION, 'duplicates', DuplicateGroupRow);
      const thumbnails = new Map(
        await pMap(shownImages(flags, duplicates), async (sha) => [sha, await sharp(await readFile(deps.layout.deidImage(sha))).resize({ width: THUMBNAIL_WIDTH }).jpeg({ quality: 70 }).toBuffer()] as const, { concurrency: 4 }),
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
      const file = path.join(deps.layout.root, 'reports', 'qc-report.html');
      await writeFileAtomic(file, html);
      return { path: file, flaggedImages: new Set(flags.map((f) => f.deidSha256)).size, duplicateGroups: duplicates.length };
    },
  };
}
