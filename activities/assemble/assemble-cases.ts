import type { QcThresholds } from '../../schemas/config.ts';
import type { Exclusion, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import type { PublicImage, PublicLesion } from '../../schemas/release.ts';
import { vocabulary } from '../../schemas/vocabulary.ts';
import { ageApprox } from '../deidentify/age-approx.ts';
import type { PublicIds } from '../deidentify/public-ids.ts';
import { qcFailures } from '../qc/qc-policy.ts';

export interface AssembleInput {
  inventory: readonly SourceObject[];
  records: readonly PrivateRecord[];
  images: readonly ProcessedImage[];
  /** source images already excluded by an earlier stage (by centre and key) */
  excludedImageKeys: ReadonlySet<string>;
  thresholds: QcThresholds;
}

export interface AssembledCases {
  lesions: PublicLesion[];
  images: PublicImage[];
  exclusions: Exclusion[];
}

type Candidate = { record: PrivateRecord; image: ProcessedImage };

const imageRef = (centre: string, key: string) => `${centre}\u0000${key}`;

/**
 * Joins records with their processed images, applies the QC policy, pairs one clinical close-up
 * with one dermoscopic image per lesion, maps diagnoses to ISIC-DX and the 11 classes, and converts
 * the private records into public rows (random public ids, age_approx). The only place where private
 * becomes public.
 */
export function assembleCases(input: AssembleInput, ids: PublicIds): AssembledCases {
  const exclusions: Exclusion[] = [];
  const recordByImage = new Map(input.records.map((r) => [imageRef(r.centre, r.imageKey), r]));
  const processed = new Map(input.images.map((i) => [imageRef(i.centre, i.key), i]));

  for (const object of input.inventory) {
    const ref = imageRef(object.centre, object.key);
    if (object.kind !== 'image' || input.excludedImageKeys.has(ref) || recordByImage.has(ref)) continue;
    exclusions.push({ centre: object.centre, stage: 'assemble', entity: 'image', reason: 'no-usable-row', detail: `${object.key} has no usable metadata row`, key: object.key, sha256: object.sha256 });
  }

  // The same bytes sent twice by a centre would get one public id twice; until duplicate review
  // exists, every copy is held back.
  const copies = new Map<string, number>();
  for (const image of input.images) copies.set(`${image.centre}/${image.sourceSha256}`, (copies.get(`${image.centre}/${image.sourceSha256}`) ?? 0) + 1);

  const byLesion = new Map<string, Candidate[]>();
  for (const record of input.records) {
    const ref = imageRef(record.centre, record.imageKey);
    const image = processed.get(ref);
    if (!image) {
      if (!input.excludedImageKeys.has(ref)) throw new Error(`image of ${record.centre} row ${record.row} was neither processed nor excluded`);
      continue; // already excluded with its reason; the record goes with its image
    }
    const sameBytes = copies.get(`${image.centre}/${image.sourceSha256}`)!;
    if (sameBytes > 1) {
      exclusions.push(imageExclusion(record, image, 'assemble', 'duplicate-image', `the centre sent the same bytes ${sameBytes} times`));
      continue;
    }
    const failures = qcFailures(image.qc, input.thresholds);
    if (failures.length > 0) {
      exclusions.push(imageExclusion(record, image, 'qc', failures[0]!, `fails QC: ${failures.join(', ')}`));
      continue;
    }
    const lesionKey = `${record.centre}/${record.patientId}/${record.lesionId}`;
    byLesion.set(lesionKey, [...(byLesion.get(lesionKey) ?? []), { record, image }]);
  }

  const lesions: PublicLesion[] = [];
  const images: PublicImage[] = [];
  for (const [lesionKey, candidates] of [...byLesion].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const problem = pairingProblem(candidates) ?? conflictingField(candidates);
    if (problem) {
      for (const c of candidates) exclusions.push(imageExclusion(c.record, c.image, 'assemble', problem.reason, problem.detail));
      exclusions.push({ centre: candidates[0]!.record.centre, stage: 'assemble', entity: 'lesion', reason: problem.reason, detail: `lesion ${candidates[0]!.record.lesionId}: ${problem.detail}`, lesionId: candidates[0]!.record.lesionId });
      continue;
    }
    const lesionId = ids.lesion(lesionKey);
    lesions.push(publicLesion(lesionId, candidates[0]!.record));
    for (const { record, image } of candidates) {
      images.push({
        isic_id: ids.image(`${record.centre}/${image.sourceSha256}`),
        lesion_id: lesionId,
        image_type: record.imageType,
        image_manipulation: record.manipulation,
        sha256: image.deidSha256,
        width: image.qc.width,
        height: image.qc.height,
        mean_luma: image.qc.meanLuma,
        sharpness: image.qc.sharpness,
        phash: image.qc.phash,
      });
    }
  }
  return { lesions, images, exclusions };
}

function imageExclusion(record: PrivateRecord, image: ProcessedImage, stage: Exclusion['stage'], reason: string, detail: string): Exclusion {
  return { centre: record.centre, stage, entity: 'image', reason, detail: `${image.key}: ${detail}`, key: image.key, row: record.row, sha256: image.sourceSha256, lesionId: record.lesionId };
}

function pairingProblem(candidates: Candidate[]): { reason: string; detail: string } | undefined {
  const clinical = candidates.filter((c) => c.record.imageType === 'clinical: close-up').length;
  const dermoscopic = candidates.length - clinical;
  if (clinical === 1 && dermoscopic === 1) return undefined;
  return { reason: 'unpaired-lesion', detail: `needs one clinical close-up and one dermoscopic image, has ${clinical} and ${dermoscopic}` };
}

const LESION_FIELDS = ['patientId', 'sex', 'site', 'skinTone', 'diagnosis', 'confirmType', 'invasionThickness'] as const;

/** The two images of a lesion must agree on every lesion-level field. */
function conflictingField(candidates: Candidate[]): { reason: string; detail: string } | undefined {
  const [first, ...rest] = candidates.map((c) => c.record);
  for (const field of LESION_FIELDS) {
    if (rest.some((r) => r[field] !== first![field])) return { reason: 'conflicting-lesion-metadata', detail: `its images disagree on ${field}` };
  }
  if (rest.some((r) => ageApprox(r.age) !== ageApprox(first!.age))) return { reason: 'conflicting-lesion-metadata', detail: 'its images disagree on age' };
  return undefined;
}

function publicLesion(lesionId: string, record: PrivateRecord): PublicLesion {
  const term = vocabulary().diagnosis(record.diagnosis);
  if (!term) throw new Error(`diagnosis ${record.diagnosis} vanished from the vocabulary`);
  const level = (i: number) => term.levels[i] ?? null;
  return {
    lesion_id: lesionId,
    centre: record.centre,
    age_approx: ageApprox(record.age),
    sex: record.sex ?? null,
    skin_tone_class: record.skinTone ?? null,
    site: record.site ?? null,
    diagnosis_full: term.term,
    diagnosis_class: term.diagnosisClass,
    diagnosis_1: term.levels[0]!,
    diagnosis_2: level(1),
    diagnosis_3: level(2),
    diagnosis_4: level(3),
    diagnosis_5: level(4),
    diagnosis_confirm_type: record.confirmType ?? null,
    invasion_thickness_interval: record.invasionThickness ?? null,
  };
}
