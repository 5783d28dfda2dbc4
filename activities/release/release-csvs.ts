import { stringify } from 'csv-stringify/sync';
import { CLASSES, GROUND_TRUTH_HEADER, METADATA_HEADER, SUPPLEMENT_HEADER, CONCEPT_COLUMNS, type ConceptScores, type PublicImage, type PublicLesion } from '../../schemas/release.ts';

export interface ReleaseRows {
  lesions: readonly PublicLesion[];
  images: readonly PublicImage[];
  concepts: ReadonlyMap<string, ConceptScores>;
  attribution: string;
  license: string;
}

const csv = (header: readonly string[], rows: unknown[][]) => stringify([header as string[], ...rows], { record_delimiter: '\n' });
const blank = (value: string | number | null | undefined) => (value === null || value === undefined ? '' : value);
const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** `MILK10k_Training_Metadata.csv`: one row per image, lesions in id order, clinical before dermoscopic. */
export function metadataCsv({ lesions, images, concepts, attribution, license }: ReleaseRows): string {
  const lesionById = new Map(lesions.map((l) => [l.lesion_id, l]));
  const rows = [...images].sort(byKey((i) => `${i.lesion_id} ${i.image_type}`)).map((image) => {
    const lesion = lesionById.get(image.lesion_id)!;
    const scores = concepts.get(image.isic_id);
    if (!scores) throw new Error(`no concept scores for ${image.isic_id}`);
    return [
      image.lesion_id, image.image_type, image.isic_id, attribution, license, image.image_manipulation,
      blank(lesion.age_approx), blank(lesion.sex), blank(lesion.skin_tone_class), blank(lesion.site),
      ...CONCEPT_COLUMNS.map((c) => scores[c]),
    ];
  });
  return csv(METADATA_HEADER, rows);
}

/** `MILK10k_Training_GroundTruth.csv`: one-hot over the 11 classes, written as 1.0 / 0.0 like the official file. */
export function groundTruthCsv({ lesions }: Pick<ReleaseRows, 'lesions'>): string {
  const rows = [...lesions].sort(byKey((l) => l.lesion_id)).map((l) => [l.lesion_id, ...CLASSES.map((c) => (c === l.diagnosis_class ? '1.0' : '0.0'))]);
  return csv(GROUND_TRUTH_HEADER, rows);
}

/** `MILK10k_Training_Supplement.csv`: per image, the full diagnosis, its confirmation and invasion thickness. */
export function supplementCsv({ lesions, images }: Pick<ReleaseRows, 'lesions' | 'images'>): string {
  const lesionById = new Map(lesions.map((l) => [l.lesion_id, l]));
  const rows = [...images].sort(byKey((i) => i.isic_id)).map((image) => {
    const lesion = lesionById.get(image.lesion_id)!;
    return [image.isic_id, lesion.diagnosis_full, blank(lesion.diagnosis_confirm_type), blank(lesion.invasion_thickness_interval)];
  });
  return csv(SUPPLEMENT_HEADER, rows);
}
