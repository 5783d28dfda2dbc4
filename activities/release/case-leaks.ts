import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Centre } from '../../schemas/config.ts';
import type { Exclusion, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import { groupBy } from '../storage/group-by.ts';
import { scanForLeaks, type LeakHit } from './leak-scan.ts';
import { phiValues, type PhiValue } from '../storage/phi-values.ts';
import { groundTruthCsv, metadataCsv, supplementCsv } from './release-csvs.ts';
import type { ReleaseContent, StagedRelease } from './write-release.ts';

/** Where one released image of a case came from (private). */
interface ImageSource {
  isicId: string;
  centre: string;
  key: string;
  sourceSha256: string;
  row?: number;
  lesionId?: string;
}

/** What the private side knows of one released case: its own PHI values and its images' sources. */
export interface CaseSources {
  values: PhiValue[];
  images: ImageSource[];
}

export const LEAK_REASON = 'leak-scan-hit';

/**
 * The private side of every released case, keyed by public lesion id: the rows, objects and EXIF
 * findings behind its images (by the de-identified image's hash, so an image two centres sent counts
 * for both) and the PHI values they give.
 */
export function caseSources(
  content: Pick<ReleaseContent, 'images'>,
  centres: readonly Centre[],
  records: readonly PrivateRecord[],
  inventory: readonly SourceObject[],
  processed: readonly ProcessedImage[],
): Map<string, CaseSources> {
  const ref = (centre: string, key: string) => `${centre}\u0000${key}`;
  const processedByDeid = groupBy(processed, (p) => p.deidSha256);
  const recordsByImage = groupBy(records, (r) => ref(r.centre, r.imageKey));
  const objectByKey = new Map(inventory.map((o) => [ref(o.centre, o.key), o]));
  const parts = new Map<string, { records: PrivateRecord[]; objects: SourceObject[]; processed: ProcessedImage[]; images: ImageSource[] }>();
  for (const image of content.images) {
    const mine = parts.get(image.lesion_id) ?? { records: [], objects: [], processed: [], images: [] };
    parts.set(image.lesion_id, mine);
    for (const p of processedByDeid.get(image.sha256) ?? []) {
      const rows = recordsByImage.get(ref(p.centre, p.key)) ?? [];
      const object = objectByKey.get(ref(p.centre, p.key));
      mine.processed.push(p);
      mine.records.push(...rows);
      if (object) mine.objects.push(object);
      mine.images.push({ isicId: image.isic_id, centre: p.centre, key: p.key, sourceSha256: p.sourceSha256, row: rows[0]?.row, lesionId: rows[0]?.lesionId });
    }
  }
  return new Map([...parts].map(([lesionId, p]) => [lesionId, { values: phiValues(centres, p.records, p.objects, p.processed), images: p.images }]));
}

/**
 * The cases that leaked by themselves: a case whose own files (its released images, its rows as
 * the official CSVs print them) hold one of its own PHI values, e.g. a name that happens to be
 * spelled by its image's entropy-coded bytes, or a value a centre put into a released field. Such a
 * case is withheld and the release staged again without it; whatever the scan still finds then (a
 * value in a shared document, another patient's value) is the release's and quarantines it.
 */
export async function casesLeakingOwnValues(
  staged: StagedRelease,
  hits: readonly LeakHit[],
  cases: ReadonlyMap<string, CaseSources>,
  publicWords: readonly string[],
): Promise<Map<string, LeakHit[]>> {
  const lesionOfImage = new Map(staged.content.images.map((i) => [`${i.isic_id}.jpg`, i.lesion_id]));
  const imageHits = groupBy(
    hits.filter((h) => lesionOfImage.has(path.posix.basename(h.file))),
    (h) => lesionOfImage.get(path.posix.basename(h.file))!,
  );
  // A hit in a table or document may be any case's row: each case's rows are searched for its own values.
  const inShared = hits.some((h) => !lesionOfImage.has(path.posix.basename(h.file)));
  const suspects = inShared ? staged.content.lesions.map((l) => l.lesion_id) : [...imageHits.keys()];
  const leaking = new Map<string, LeakHit[]>();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'milk-case-leaks-'));
  try {
    for (const lesionId of suspects) {
      const values = cases.get(lesionId)?.values ?? [];
      if (values.length === 0) continue;
      const caseDir = path.join(dir, lesionId);
      await mkdir(caseDir);
      for (const hit of imageHits.get(lesionId) ?? []) await copyFile(path.join(staged.dir, hit.file), path.join(caseDir, path.posix.basename(hit.file)));
      const rows = { ...staged.content, lesions: staged.content.lesions.filter((l) => l.lesion_id === lesionId), images: staged.content.images.filter((i) => i.lesion_id === lesionId) };
      await writeFile(path.join(caseDir, 'rows.csv'), metadataCsv(rows) + groundTruthCsv(rows) + supplementCsv(rows));
      const own = await scanForLeaks(caseDir, values, publicWords);
      if (own.hits.length > 0) leaking.set(lesionId, own.hits);
      await rm(caseDir, { recursive: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return leaking;
}

/** One `leak-scan-hit` exclusion per image of each withheld case, saying where its value was found (never the value). */
export function withheldExclusions(leaking: ReadonlyMap<string, readonly LeakHit[]>, cases: ReadonlyMap<string, CaseSources>): Exclusion[] {
  return [...leaking].flatMap(([lesionId, hits]) => {
    const where = hits.slice(0, 5).map((h) => `${h.file === 'rows.csv' ? "the case's released rows" : h.file} (${h.location}): ${h.kind}`).join('; ');
    return (cases.get(lesionId)?.images ?? []).map((image) => ({
      centre: image.centre,
      stage: 'release' as const,
      entity: 'image' as const,
      reason: LEAK_REASON,
      detail: `${image.key}: the leak scan found the case's own PHI in its released files, so lesion ${lesionId} is withheld from the release: ${where}`,
      key: image.key,
      row: image.row,
      sha256: image.sourceSha256,
      lesionId: image.lesionId,
    }));
  });
}
