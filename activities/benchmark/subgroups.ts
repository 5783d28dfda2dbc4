import { SUBGROUP_ATTRIBUTES, type LesionAttributes, type SubgroupAttribute } from '../../schemas/benchmark-score.ts';
import type { ScoringCases } from './scoring-cases.ts';

/** A lesion the release does not describe, or an attribute it left blank. */
export const UNKNOWN = 'unknown';

/**
 * Age bands over MILK10k's 5-year `age_approx`: wide enough that each holds enough lesions of the
 * common classes for a metric to mean something on a benchmark of a few hundred lesions.
 */
export const AGE_BANDS = ['under 30', '30-44', '45-59', '60-74', '75 and over'] as const;

export function ageBand(age: number | null): string {
  if (age === null) return UNKNOWN;
  return AGE_BANDS[Math.min(Math.max(Math.floor((age - 15) / 15), 0), AGE_BANDS.length - 1)]!;
}

function valueOf(attributes: LesionAttributes | undefined, attribute: SubgroupAttribute): string {
  if (!attributes) return UNKNOWN;
  switch (attribute) {
    case 'centre':
      return attributes.centre;
    case 'skin_tone':
      return attributes.skin_tone_class === null ? UNKNOWN : String(attributes.skin_tone_class);
    case 'sex':
      return attributes.sex ?? UNKNOWN;
    case 'age_band':
      return ageBand(attributes.age_approx);
    case 'image_type':
      // MILK10k pairs a clinical close-up with a dermoscopic image; a lesion with fewer is its own group.
      return attributes.image_types.length === 0 ? UNKNOWN : attributes.image_types.join(' + ');
  }
}

/** Values in reading order: age bands by age, others by name with numbers as numbers, `unknown` last. */
function compareValues(attribute: SubgroupAttribute, a: string, b: string): number {
  const rank = (v: string) => (v === UNKNOWN ? Infinity : attribute === 'age_band' ? AGE_BANDS.indexOf(v as (typeof AGE_BANDS)[number]) : 0);
  return rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true });
}

/** For each attribute and each of its values, the rows of `cases` in that subgroup. */
export function subgroupRows(cases: ScoringCases, attributes: readonly LesionAttributes[]): { attribute: SubgroupAttribute; value: string; rows: number[] }[] {
  const byLesion = new Map(attributes.map((a) => [a.lesion_id, a]));
  return SUBGROUP_ATTRIBUTES.flatMap((attribute) => {
    const groups = new Map<string, number[]>();
    cases.lesionIds.forEach((id, row) => {
      const value = valueOf(byLesion.get(id), attribute);
      if (!groups.has(value)) groups.set(value, []);
      groups.get(value)!.push(row);
    });
    return [...groups].sort(([a], [b]) => compareValues(attribute, a, b)).map(([value, rows]) => ({ attribute, value, rows }));
  });
}
