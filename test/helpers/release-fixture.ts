import { createHash } from 'node:crypto';
import { CONCEPT_COLUMNS, type ConceptScores, type PublicDuplicate, type PublicExclusion, type PublicImage, type PublicLesion } from '../../schemas/release.ts';
import { vocabulary } from '../../schemas/vocabulary.ts';

/** Small, hand-made public release rows (no real data) for the release writer tests. */

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

export function lesion(lesion_id: string, diagnosis: string, extra: Partial<PublicLesion> = {}): PublicLesion {
  const term = vocabulary().diagnosis(diagnosis);
  if (!term) throw new Error(`test fixture: ${diagnosis} is not a MILK10k term`);
  return {
    lesion_id,
    centre: 'vienna',
    age_approx: 60,
    sex: 'female',
    skin_tone_class: 2,
    site: 'trunk',
    diagnosis_full: term.term,
    diagnosis_class: term.diagnosisClass,
    diagnosis_1: term.levels[0]!,
    diagnosis_2: term.levels[1] ?? null,
    diagnosis_3: term.levels[2] ?? null,
    diagnosis_4: term.levels[3] ?? null,
    diagnosis_5: term.levels[4] ?? null,
    diagnosis_confirm_type: 'histopathology',
    invasion_thickness_interval: null,
    ...extra,
  };
}

export function image(isic_id: string, lesion_id: string, image_type: PublicImage['image_type'], extra: Partial<PublicImage> = {}): PublicImage {
  return {
    isic_id,
    lesion_id,
    image_type,
    image_manipulation: 'instrument only',
    sha256: hash(isic_id),
    width: 600,
    height: 450,
    file_size: 48_213,
    mean_luma: 140.25,
    sharpness: 61.5,
    sharpness_ratio: 2.4,
    dark: 0.91,
    light: 0.42,
    low_information: 0.74,
    grayscale: 0.002,
    odd_aspect_ratio: 0.75,
    colour_cast: 18.5,
    modality: 0.93,
    burned_in_text: 0,
    phash: '0123456789abcdef',
    qc_warnings: '',
    duplicate_group: null,
    ...extra,
  };
}

export function scores(seed: number): ConceptScores {
  return Object.fromEntries(CONCEPT_COLUMNS.map((c, i) => [c, ((seed * 7 + i * 13) % 100) / 100 + 0.001])) as ConceptScores;
}

export interface Fixture {
  lesions: PublicLesion[];
  benchmark: Set<string>;
  images: PublicImage[];
  concepts: Map<string, ConceptScores>;
  exclusions: PublicExclusion[];
  duplicates: PublicDuplicate[];
  attribution: string;
  license: string;
  rights: { license: string; licenseUrl: string; attribution: string; supplier: string };
}

/** Three lesions (rows deliberately out of id order; IL_0000300 held out as the benchmark), six images, two exclusions. */
export function fixture(): Fixture {
  const lesions = [
    lesion('IL_0000300', 'Nevus, Acral', { age_approx: null, sex: null, skin_tone_class: null, site: null, diagnosis_confirm_type: null }),
    lesion('IL_0000100', 'Basal cell carcinoma', { sex: 'male', age_approx: 85 }),
    lesion('IL_0000200', 'Melanoma Invasive', { invasion_thickness_interval: '>1.0-2.0', site: 'lower_extremity' }),
  ];
  const images = [
    image('ISIC_0000006', 'IL_0000300', 'dermoscopic'),
    image('ISIC_0000005', 'IL_0000300', 'clinical: close-up', { image_manipulation: 'altered' }),
    image('ISIC_0000001', 'IL_0000100', 'dermoscopic'),
    image('ISIC_0000002', 'IL_0000100', 'clinical: close-up'),
    image('ISIC_0000004', 'IL_0000200', 'dermoscopic'),
    image('ISIC_0000003', 'IL_0000200', 'clinical: close-up'),
  ];
  const concepts = new Map(images.map((i, n) => [i.isic_id, scores(n)]));
  const exclusions: PublicExclusion[] = [
    { centre: 'vienna', stage: 'qc', entity: 'image', reason: 'blurry' },
    { centre: 'barcelona', stage: 'parse', entity: 'record', reason: 'unknown-diagnosis' },
  ];
  const rights = { license: 'CC-BY-NC', licenseUrl: 'https://creativecommons.org/licenses/by-nc/4.0/', attribution: 'MILK study team', supplier: 'ISIC Archive' };
  const duplicates: PublicDuplicate[] = [{ duplicate_group: 1, isic_id: 'ISIC_0000004', kind: 'near', max_distance: 4, cross_lesion: true }, { duplicate_group: 1, isic_id: 'ISIC_0000006', kind: 'near', max_distance: 4, cross_lesion: true }];
  return { lesions, benchmark: new Set(['IL_0000300']), images, concepts, exclusions, duplicates, attribution: 'MILK study team', license: 'CC-BY-NC', rights };
}
