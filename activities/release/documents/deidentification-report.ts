import type { PrivateRecord, ProcessedImage } from '../../../schemas/records.ts';
import { readsAsText } from '../../../schemas/text-findings.ts';
import type { LeakScan } from '../leak-scan.ts';

/** Fields of a centre's records that never reach a release (exact age is replaced by age_approx). */
const WITHHELD_FIELDS = ['patientName', 'patientId', 'lesionId', 'birthDate', 'examDate', 'age', 'imageKey', 'metadataKey'] as const;

const MAX_WARNINGS_LISTED = 200;

/**
 * Per centre, how many of each JPEG segment type, EXIF tag and record field were removed (names, never
 * values), and how many images were searched for burned-in text and had a region that reads as text.
 */
export function deidentificationSummary(centres: readonly string[], records: readonly PrivateRecord[], images: readonly ProcessedImage[]) {
  const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
  const perCentre = centres.map((centre) => {
    const segmentsRemoved: Record<string, number> = {};
    const exifTagsRemoved: Record<string, number> = {};
    const fieldsWithheld: Record<string, number> = {};
    let reoriented = 0;
    const centreImages = images.filter((i) => i.centre === centre);
    for (const image of centreImages) {
      image.removedSegments.forEach((s) => count(segmentsRemoved, s));
      image.exif.tags.forEach((t) => count(exifTagsRemoved, t));
      if (image.orientation !== 1) reoriented++;
    }
    const centreRecords = records.filter((r) => r.centre === centre);
    for (const record of centreRecords) for (const field of WITHHELD_FIELDS) if (record[field] !== undefined) count(fieldsWithheld, field);
    return {
      centre,
      imagesProcessed: centreImages.length,
      imagesReoriented: reoriented,
      imagesSearchedForText: centreImages.filter((i) => i.text).length,
      imagesWithTextRegions: centreImages.filter((i) => i.text?.regions.some(readsAsText)).length,
      recordsProcessed: centreRecords.length,
      segmentsRemoved: sorted(segmentsRemoved),
      exifTagsRemoved: sorted(exifTagsRemoved),
      fieldsWithheld: sorted(fieldsWithheld),
    };
  });
  return { centres: perCentre };
}

/** The de-identification report a release carries: the per-centre summary and the leak scan's outcome. */
export function deidentificationReport(summary: ReturnType<typeof deidentificationSummary>, scan: LeakScan) {
  return {
    ...summary,
    leakScan: {
      filesScanned: scan.filesScanned,
      bytesScanned: scan.bytesScanned,
      phiValuesSearched: scan.valuesSearched,
      phiValuesTooShortToSearch: scan.unscannable,
      hits: scan.hits.length,
      // values made only of public vocabulary words, found in shared tables and documents: reported, not leaks
      vocabularyMatches: scan.vocabularyHits.length,
      vocabularyMatchesListed: scan.vocabularyHits.slice(0, MAX_WARNINGS_LISTED),
      patternWarnings: scan.patternWarnings.length,
      patternWarningsListed: scan.patternWarnings.slice(0, MAX_WARNINGS_LISTED),
    },
  };
}

const sorted = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
