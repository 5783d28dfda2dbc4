import { lesionPlace } from '../storage/lesion-place.ts';
import type { Centre, QcConfig } from '../../schemas/config.ts';
import type { Exclusion, PrivateRecord, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import { IMAGE_TYPES, type PublicImage, type PublicLesion } from '../../schemas/release.ts';
import { vocabulary } from '../../schemas/vocabulary.ts';
import { ageApprox } from '../../schemas/age-approx.ts';
import type { PublicIds } from '../storage/public-ids.ts';
import { datasetSizes, PHI_IN_PIXELS, qcOutcome } from '../../schemas/qc-checks.ts';
import { duplicateGroups, type DuplicateGroup } from './duplicate-groups.ts';
import { lesionFieldConflict, lesionProblems } from './metadata-checks.ts';
import type { ReviewCounts, ReviewDecision } from '../../schemas/review.ts';
import { ReviewPolicy } from './review-decisions.ts';
import { phiValues } from '../storage/phi-values.ts';
import { PixelPhi } from './phi-in-pixels.ts';

export interface AssembleInput {
  inventory: readonly SourceObject[];
  records: readonly PrivateRecord[];
  images: readonly ProcessedImage[];
  /** source images already excluded by an earlier stage (by centre and key) */
  excludedImageKeys: ReadonlySet<string>;
  qc: QcConfig;
  /** the configured centres (their date formats: what a date read in an image is matched in) */
  centres: readonly Centre[];
  /** every curator decision recorded (review-log.ts); the latest per subject is applied */
  review: readonly ReviewDecision[];
}

/** One QC finding, for the QC report: which image, which check, what it scored, what was done. */
export interface QcFlag {
  centre: string;
  deidSha256: string;
  imageType: string;
  check: string;
  action: 'exclude' | 'warn';
  isicId?: string;
  /** a curator accepted the image as it is: the flag neither excluded nor warned */
  cleared?: boolean;
}

export interface AssembledCases {
  lesions: PublicLesion[];
  images: PublicImage[];
  exclusions: Exclusion[];
  flags: QcFlag[];
  /** duplicate groups with members as de-identified image sha256, and their public ids where released */
  duplicates: (DuplicateGroup & { crossLesion: boolean; isicIds: string[] })[];
  /** private: the record and source image behind each released image, for provenance */
  sources: ReleasedSource[];
  /** private: each image left out because another image of its type was chosen for the lesion's pair */
  selections: PairSelection[];
  /** what the curators' decisions did, and what is still open */
  review: ReviewCounts;
}

export interface PairSelection {
  lesionKey: string;
  imageType: (typeof IMAGE_TYPES)[number];
  selectedKey: string;
  notSelectedKey: string;
}

export interface ReleasedSource {
  isicId: string;
  lesionKey: string;
  record: PrivateRecord;
  image: ProcessedImage;
}

type Candidate = { record: PrivateRecord; image: ProcessedImage; warnings: string[] };

const imageRef = (centre: string, key: string) => `${centre}\u0000${key}`;

/**
 * Joins records with their processed images, applies the QC policy, finds duplicate groups,
 * collapses same-lesion duplicates, pairs one clinical close-up with one dermoscopic image per
 * lesion, checks lesion metadata, maps diagnoses to ISIC-DX and the 11 classes, and converts the
 * private records into public rows (random public ids, age_approx). The only place where private
 * becomes public.
 */
export function assembleCases(input: AssembleInput, ids: PublicIds): AssembledCases {
  const exclusions: Exclusion[] = [];
  const flags: QcFlag[] = [];
  const recordByImage = new Map(input.records.map((r) => [imageRef(r.centre, r.imageKey), r]));
  const processed = new Map(input.images.map((i) => [imageRef(i.centre, i.key), i]));
  const review = new ReviewPolicy(input.review);

  for (const object of input.inventory) {
    const ref = imageRef(object.centre, object.key);
    if (object.kind !== 'image' || input.excludedImageKeys.has(ref) || recordByImage.has(ref)) continue;
    exclusions.push({ centre: object.centre, stage: 'assemble', entity: 'image', reason: 'no-usable-row', detail: `${object.key} has no usable metadata row`, key: object.key, sha256: object.sha256 });
  }

  const candidates: Candidate[] = [];
  // What a centre's images are searched for: the PHI values of that centre's records, built once per centre.
  const pixelPhi = new Map<string, PixelPhi>();
  const pixelPhiOf = (centre: string) => {
    let phi = pixelPhi.get(centre);
    if (!phi) pixelPhi.set(centre, (phi = new PixelPhi(phiValues(input.centres, input.records.filter((r) => r.centre === centre), [], []))));
    return phi;
  };
  // odd-size compares with the build's typical image, over every image that reached QC
  const sizes = datasetSizes(input.images.map((i) => i.qc));
  for (const record of [...input.records].sort(byImageKey)) {
    const ref = imageRef(record.centre, record.imageKey);
    const image = processed.get(ref);
    if (!image) {
      if (!input.excludedImageKeys.has(ref)) throw new Error(`image of ${record.centre} row ${record.row} was neither processed nor excluded`);
      continue; // already excluded with its reason; the record goes with its image
    }
    const measured = qcOutcome(image.qc, record.imageType, input.qc.checks, sizes);
    // Before every other check: the exclusion's reason is the first failed check.
    if (image.text && pixelPhiOf(record.centre).match(image.text.texts)) measured.exclude.unshift(PHI_IN_PIXELS.name);
    for (const [action, checks] of [['exclude', measured.exclude], ['warn', measured.warn]] as const) {
      for (const check of checks) flags.push({ centre: record.centre, deidSha256: image.deidSha256, imageType: record.imageType, check, action, ...(review.accepted(image.deidSha256, check) && { cleared: true }) });
    }
    const source = `${record.centre}/${image.sourceSha256}`;
    const curator = review.exclusionOf(image.deidSha256, ids.issuedImage(`${source}/${record.imageKey}`) ?? ids.issuedImage(source));
    if (curator) {
      exclusions.push(imageExclusion(record, image, 'assemble', 'curator-excluded', `excluded by curator ${curator.reviewer} at ${curator.at}${curator.note ? `: ${curator.note}` : ''}`));
      continue;
    }
    const outcome = review.clear(measured, image.deidSha256);
    if (outcome.exclude.length > 0) {
      exclusions.push(imageExclusion(record, image, 'qc', outcome.exclude[0]!, `fails QC: ${outcome.exclude.join(', ')}`));
      continue;
    }
    candidates.push({ record, image, warnings: outcome.warn });
  }

  const deidOfCandidate = new Map(candidates.map((c) => [imageRef(c.record.centre, c.record.imageKey), c.image.deidSha256]));
  const found = duplicateGroups(
    candidates.map((c) => ({ id: imageRef(c.record.centre, c.record.imageKey), similarityThumbnail: c.image.similarityThumbnail, pixelSha256: c.image.qc.pixelSha256, aspect: c.image.qc.width / c.image.qc.height })),
    input.qc.duplicates,
  );
  const groups = review.splitGroups(found, (member) => deidOfCandidate.get(member)!);
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.members.forEach((m) => groupOf.set(m, i)));
  const group = (c: Candidate) => groupOf.get(imageRef(c.record.centre, c.record.imageKey));

  const byLesion = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const lesionKey = `${c.record.centre}/${c.record.patientId}/${c.record.lesionId}`;
    const lesion = byLesion.get(lesionKey) ?? [];
    // The same image sent twice for one lesion (same type, same duplicate group) counts once.
    const copyOf = lesion.find((o) => o.record.imageType === c.record.imageType && group(o) !== undefined && group(o) === group(c));
    if (copyOf) {
      exclusions.push(imageExclusion(c.record, c.image, 'qc', 'duplicate-collapsed', `duplicate of ${copyOf.image.key} in the same lesion`));
      continue;
    }
    byLesion.set(lesionKey, [...lesion, c]);
  }

  const lesions: PublicLesion[] = [];
  const images: PublicImage[] = [];
  const released = new Map<string, string>();
  const sources: ReleasedSource[] = [];
  const usedSources = new Set<string>();
  const selections: PairSelection[] = [];
  for (const [lesionKey, candidatesOfLesion] of [...byLesion].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const pair = selectPair(candidatesOfLesion);
    // Images a pair leaves out must still describe the same lesion: otherwise two lesions were sent under one id.
    const problem = pairingProblem(pair) ?? lesionFieldConflict(candidatesOfLesion.map((m) => m.record)) ?? lesionProblems(pair.map((m) => m.record));
    if (problem) {
      for (const c of candidatesOfLesion) exclusions.push(imageExclusion(c.record, c.image, 'assemble', problem.reason, problem.detail));
      const records = candidatesOfLesion.map((c) => c.record);
      exclusions.push({
        centre: records[0]!.centre, stage: 'assemble', entity: 'lesion', reason: problem.reason, detail: `${lesionPlace(records)}: ${problem.detail}`,
        lesionId: records[0]!.lesionId,
      });
      continue;
    }
    const members = pair;
    for (const c of candidatesOfLesion) {
      if (members.includes(c)) continue;
      const chosen = members.find((m) => m.record.imageType === c.record.imageType)!;
      exclusions.push(imageExclusion(c.record, c.image, 'assemble', 'not-selected', `another ${c.record.imageType} image of the lesion was selected: ${chosen.image.key} (${PAIR_RULE})`));
      selections.push({ lesionKey, imageType: c.record.imageType, selectedKey: chosen.image.key, notSelectedKey: c.image.key });
    }
    const lesionId = ids.lesion(lesionKey);
    lesions.push(publicLesion(lesionId, members[0]!.record));
    for (const { record, image, warnings } of members) {
      // Identical bytes sent again for another lesion must not share its public id.
      const source = `${record.centre}/${image.sourceSha256}`;
      // A copy keeps the id it was issued even when the copy that held the plain id is left out (a curator excluded it).
      const ownId = ids.issuedImage(`${source}/${record.imageKey}`);
      const isicId = ownId ?? ids.image(usedSources.has(source) ? `${source}/${record.imageKey}` : source);
      if (!ownId) usedSources.add(source);
      released.set(imageRef(record.centre, record.imageKey), isicId);
      sources.push({ isicId, lesionKey, record, image });
      const g = group({ record, image, warnings });
      images.push({
        isic_id: isicId,
        lesion_id: lesionId,
        image_type: record.imageType,
        image_manipulation: record.manipulation,
        sha256: image.deidSha256,
        width: image.qc.width,
        height: image.qc.height,
        file_size: image.deidBytes,
        mean_luma: image.qc.meanLuma,
        sharpness: image.qc.sharpness,
        sharpness_ratio: image.qc.sharpnessRatio,
        dark: image.qc.dark,
        light: image.qc.light,
        low_information: image.qc.lowInformation,
        grayscale: image.qc.grayscale,
        odd_aspect_ratio: image.qc.oddAspectRatio,
        colour_cast: image.qc.colourCast,
        modality: image.qc.modality,
        burned_in_text: image.qc.burnedInText ?? null,
        phash: image.qc.phash,
        qc_warnings: warnings.join(';'),
        duplicate_group: g === undefined ? null : g + 1,
      });
    }
  }

  const lesionOf = new Map(candidates.map((c) => [imageRef(c.record.centre, c.record.imageKey), `${c.record.centre}/${c.record.patientId}/${c.record.lesionId}`]));
  // The first candidate of each de-identified image, as a lookup: a scan per flag is quadratic at scale.
  const candidateByDeid = new Map<string, Candidate>();
  for (const c of candidates) if (!candidateByDeid.has(c.image.deidSha256)) candidateByDeid.set(c.image.deidSha256, c);
  for (const flag of flags) {
    const c = candidateByDeid.get(flag.deidSha256);
    if (c) flag.isicId = released.get(imageRef(c.record.centre, c.record.imageKey));
  }
  const duplicates = groups.map((g) => ({
    ...g,
    members: g.members.map((m) => deidOfCandidate.get(m)!),
    pairs: g.pairs.map((p) => ({ ...p, a: deidOfCandidate.get(p.a)!, b: deidOfCandidate.get(p.b)! })),
    crossLesion: new Set(g.members.map((m) => lesionOf.get(m))).size > 1,
    isicIds: g.members.map((m) => released.get(m)).filter((id): id is string => id !== undefined),
  }));
  return {
    lesions,
    images,
    exclusions,
    flags,
    duplicates,
    sources,
    selections,
    review: review.counts(flags, duplicates.filter((d) => d.crossLesion).map((d) => d.pairs)),
  };
}

const byImageKey = (a: PrivateRecord, b: PrivateRecord) => {
  const ka = imageRef(a.centre, a.imageKey);
  const kb = imageRef(b.centre, b.imageKey);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function imageExclusion(record: PrivateRecord, image: ProcessedImage, stage: Exclusion['stage'], reason: string, detail: string): Exclusion {
  return { centre: record.centre, stage, entity: 'image', reason, detail: `${image.key}: ${detail}`, key: image.key, row: record.row, sha256: image.sourceSha256, lesionId: record.lesionId };
}

/** How a lesion's pair is chosen when it has several images of a type: ISIC's index-image order. */
export const PAIR_RULE = 'rule: taken at the biopsy, then earliest exam, then sharpest, then source key';

/**
 * One image of each type, by PAIR_RULE: follow-ups and retakes of a lesion do not cost it its place.
 * A type with no image leaves the pair short, which `pairingProblem` reports.
 */
function selectPair(candidates: readonly Candidate[]): Candidate[] {
  return IMAGE_TYPES.flatMap((type) => {
    const ofType = candidates.filter((c) => c.record.imageType === type).sort(byPairRule);
    return ofType.length > 0 ? [ofType[0]!] : [];
  });
}

function byPairRule(a: Candidate, b: Candidate): number {
  const biopsy = Number(b.record.concomitantBiopsy === true) - Number(a.record.concomitantBiopsy === true);
  if (biopsy !== 0) return biopsy;
  // An exam date absent sorts after every dated exam.
  const exam = (a.record.examDate ?? '\uffff').localeCompare(b.record.examDate ?? '\uffff');
  if (exam !== 0) return exam;
  if (a.image.qc.sharpness !== b.image.qc.sharpness) return b.image.qc.sharpness - a.image.qc.sharpness;
  return a.image.key < b.image.key ? -1 : a.image.key > b.image.key ? 1 : 0;
}

function pairingProblem(pair: Candidate[]): { reason: string; detail: string } | undefined {
  if (pair.length === IMAGE_TYPES.length) return undefined;
  const has = (type: string) => (pair.some((c) => c.record.imageType === type) ? 1 : 0);
  return { reason: 'unpaired-lesion', detail: `needs one clinical close-up and one dermoscopic image, has ${has('clinical: close-up')} and ${has('dermoscopic')}` };
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
