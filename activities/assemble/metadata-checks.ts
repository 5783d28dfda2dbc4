import type { PrivateRecord } from '../../schemas/records.ts';
import { ageApprox } from '../../schemas/age-approx.ts';

export interface LesionProblem {
  reason: string;
  detail: string;
}

const LESION_FIELDS = ['patientId', 'sex', 'site', 'skinTone', 'diagnosis', 'confirmType', 'invasionThickness'] as const;
const MAX_PLAUSIBLE_AGE = 110;
/** ISIC metadata schema: melanoma thickness fields belong to invasive melanomas only. */
const THICKNESS_DIAGNOSES = new Set(['Melanoma Invasive', 'Melanoma metastasis']);

/** The records disagree on a lesion-level field (age aside: follow-ups of one lesion are years apart). */
export function lesionFieldConflict(records: readonly PrivateRecord[]): LesionProblem | undefined {
  const [first, ...rest] = records;
  if (!first) return undefined;
  for (const field of LESION_FIELDS) {
    if (rest.some((r) => r[field] !== first[field])) return { reason: 'conflicting-lesion-metadata', detail: `its images disagree on ${field}` };
  }
  return undefined;
}

/**
 * Lesion-level metadata rules, in one place: the images of a lesion agree on every lesion-level
 * field; the age is plausible; the diagnosis says how it was confirmed; invasion thickness only on
 * invasive melanoma (the cross-field rule of the ISIC metadata schema that applies here).
 */
export function lesionProblems(records: readonly PrivateRecord[]): LesionProblem | undefined {
  const [first, ...rest] = records;
  if (!first) return undefined;
  const conflict = lesionFieldConflict(records);
  if (conflict) return conflict;
  if (rest.some((r) => ageApprox(r.age) !== ageApprox(first.age))) return { reason: 'conflicting-lesion-metadata', detail: 'its images disagree on age' };
  if (first.age !== undefined && first.age > MAX_PLAUSIBLE_AGE) return { reason: 'implausible-age', detail: `age over ${MAX_PLAUSIBLE_AGE}` };
  if (first.confirmType === undefined) return { reason: 'missing-confirm-type', detail: 'the diagnosis has no confirmation type' };
  if (first.invasionThickness !== undefined && !THICKNESS_DIAGNOSES.has(first.diagnosis)) {
    return { reason: 'thickness-without-melanoma', detail: `invasion thickness given for ${first.diagnosis}` };
  }
  return undefined;
}
