import pMap from 'p-map';
import sharp from 'sharp';
import type { MilkConfig } from '../../schemas/config.ts';
import { QC_CHECKS } from '../../schemas/qc-checks.ts';
import { getRequired } from '../storage/blob-store.ts';
import type { Lake } from '../storage/lake.ts';
import { decisionsInEffect, ReviewLog } from '../storage/review-log.ts';
import type { Storage } from '../storage/storage.ts';
import { BUILD_PARTITION, tables } from '../storage/tables.ts';
import { shownImages, type QcReportInput } from './qc-report.ts';

const THUMBNAIL_WIDTH = 160;

/**
 * What the QC report shows, read from the last build's lake (measured images, QC flags, duplicate
 * groups, released ids) and the curators' decisions as they stand now: for the build's report and
 * for the page of `milk review`. `thumbnails` caches thumbnails across calls (the review page is
 * rendered again on every load).
 */
export async function qcReportInput(storage: Storage & { lake: Lake }, config: MilkConfig, thumbnails = new Map<string, Buffer>()): Promise<QcReportInput> {
  const centres = config.centres.map((c) => c.id);
  const processed = await storage.lake.readPartitions(tables.images, centres);
  const typeOf = new Map((await storage.lake.readPartitions(tables.records, centres)).map((r) => [`${r.centre}\u0000${r.imageKey}`, r.imageType]));
  const isicIds = new Map<string, string[]>();
  for (const i of await storage.lake.read(tables.caseImages, BUILD_PARTITION)) isicIds.set(i.sha256, [...(isicIds.get(i.sha256) ?? []), i.isic_id].sort());
  const flags = await storage.lake.read(tables.qcFlags, BUILD_PARTITION);
  const duplicates = await storage.lake.read(tables.duplicates, BUILD_PARTITION);
  const missing = shownImages(flags, duplicates).filter((sha) => !thumbnails.has(sha));
  await pMap(
    missing,
    async (sha) => thumbnails.set(sha, await sharp(await getRequired(storage.store, storage.layout.deidImage(sha))).resize({ width: THUMBNAIL_WIDTH }).jpeg({ quality: 70 }).toBuffer()),
    { concurrency: 4 },
  );
  return {
    title: `QC report: ${config.dataset}`,
    checks: QC_CHECKS,
    settings: config.qc.checks,
    images: processed.map((p) => ({ deidSha256: p.deidSha256, centre: p.centre, imageType: typeOf.get(`${p.centre}\u0000${p.key}`) ?? 'unknown', scores: p.qc, ...(p.text && { textRegions: p.text.regions }) })),
    isicIds,
    flags,
    duplicates,
    thumbnails,
    decisions: decisionsInEffect(await new ReviewLog(storage.store, storage.layout).read()),
  };
}
