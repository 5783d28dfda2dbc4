import { z } from 'zod';
import { PublicImage, PublicLesion } from './release.ts';
import { CONCEPT_COLUMNS } from './release.ts';

/** Lake rows of the assembled build: public rows, ready for concepts and the release writer. */
export const CaseLesion = PublicLesion;
export const CaseImage = PublicImage;

export const ConceptRow = z.object({
  isic_id: z.string(),
  scores: z.object(Object.fromEntries(CONCEPT_COLUMNS.map((c) => [c, z.number().min(0).max(1)])) as Record<(typeof CONCEPT_COLUMNS)[number], z.ZodNumber>),
});
export type ConceptRow = z.infer<typeof ConceptRow>;
