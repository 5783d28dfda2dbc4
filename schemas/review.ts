import { z } from 'zod';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a de-identified image sha256 in hex');

/**
 * What a curator's decision is about: a flagged image (with the check that flagged it, when it was a
 * QC flag; none for a member of a duplicate group), or a pair of duplicate-group members (sorted).
 * Images are named by their de-identified sha256, the id the QC report shows, never a source key.
 */
export const ReviewSubject = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('image'),
    image: Sha256,
    check: z.string().regex(/^[a-z0-9-]+$/).optional(),
    /** one released copy of byte-identical images (they share the sha256): only it, not its copies */
    isicId: z.string().regex(/^ISIC_\d{7}$/).optional(),
  }),
  // Byte-identical copies (an exact duplicate) have one sha256, so a pair may name one image twice.
  z.object({ kind: z.literal('pair'), images: z.tuple([Sha256, Sha256]) }).refine((s) => s.images[0] <= s.images[1], 'a pair names its images sorted'),
]);
export type ReviewSubject = z.infer<typeof ReviewSubject>;

/**
 * `accept`: a flagged image is fine as it is (its check's flag is cleared: released, no warning),
 * or a pair is a real duplicate; `exclude`: the image is left out (`curator-excluded`);
 * `not-a-duplicate`: the pair is split (the two images are no longer one duplicate group).
 */
export const ReviewVerdict = z.enum(['accept', 'exclude', 'not-a-duplicate']);
export type ReviewVerdict = z.infer<typeof ReviewVerdict>;

/** What a reviewer sends: the subject, the verdict and why. */
export const ReviewRequest = z
  .object({ subject: ReviewSubject, decision: ReviewVerdict, note: z.string().max(2000).default('') })
  .refine((r) => (r.subject.kind === 'image' ? r.decision !== 'not-a-duplicate' : r.decision !== 'exclude'), {
    message: 'an image is accepted or excluded; a pair is accepted (a duplicate) or not a duplicate',
  });
export type ReviewRequest = z.infer<typeof ReviewRequest>;

/** One recorded decision (private, append-only): who decided what, when and why. The latest per subject is in effect. */
export const ReviewDecision = z.object({
  id: z.string().uuid(),
  at: z.iso.datetime(),
  reviewer: z.string().trim().min(1).max(100),
  subject: ReviewSubject,
  decision: ReviewVerdict,
  note: z.string().max(2000),
});
export type ReviewDecision = z.infer<typeof ReviewDecision>;

/** What the build did with the decisions in effect, for the summary (counts only: payloads carry no names or notes). */
export const ReviewCounts = z.object({
  /** decisions in effect (the latest per subject) */
  decisions: z.number(),
  /** images left out as curator-excluded */
  excluded: z.number(),
  /** QC flags a curator accepted, so they neither excluded nor warned */
  flagsCleared: z.number(),
  /** duplicate pairs a curator split */
  pairsSplit: z.number(),
  /** QC flags and cross-lesion duplicate groups no decision covers yet */
  openFlags: z.number(),
  openGroups: z.number(),
});
export type ReviewCounts = z.infer<typeof ReviewCounts>;
