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

/** A QC finding for the QC report (de-identified image sha256, never a source key). */
export const QcFlagRow = z.object({
  centre: z.string(),
  deidSha256: z.string(),
  imageType: z.string(),
  check: z.string(),
  action: z.enum(['exclude', 'warn']),
  isicId: z.string().optional(),
  /** a curator accepted the image as it is: the flag neither excluded nor warned */
  cleared: z.boolean().optional(),
});
export type QcFlagRow = z.infer<typeof QcFlagRow>;

/** A duplicate group: members as de-identified image sha256, with the public ids of those released. */
export const DuplicateGroupRow = z.object({
  members: z.array(z.string()),
  kind: z.enum(['exact', 'near']),
  maxDistance: z.number(),
  /** lowest aligned correlation of a confirmed pair (1 for exact) */
  minScore: z.number(),
  /** the confirmed pairs (members' de-identified sha256) with their pHash distance and aligned correlation */
  pairs: z.array(z.object({ a: z.string(), b: z.string(), distance: z.number(), score: z.number(), mirrored: z.boolean() })),
  crossLesion: z.boolean(),
  isicIds: z.array(z.string()),
});
export type DuplicateGroupRow = z.infer<typeof DuplicateGroupRow>;
