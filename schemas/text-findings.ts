import { z } from 'zod';

/**
 * One region of an image that the text detector found and the recogniser read. The box is in
 * fractions of the image's width and height (public-safe: no pixel of the source, any resolution).
 */
export const TextRegion = z.object({
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).describe('left, top, right, bottom as fractions of width and height'),
  /** mean text probability inside the box (PaddleOCR's box score) */
  score: z.number(),
  /** mean probability of the characters the recogniser read (0 when it read none) */
  confidence: z.number(),
  /** how many characters the recogniser read */
  characters: z.number().int().nonnegative(),
});
export type TextRegion = z.infer<typeof TextRegion>;

/**
 * What text detection found in a de-identified image. `texts` is what the recogniser read, one per
 * region: PHI candidates, kept only in the private lake to be matched against the centre's PHI values,
 * never released, reported or logged.
 */
export const TextFindings = z.object({
  regions: z.array(TextRegion),
  texts: z.array(z.string()),
});
export type TextFindings = z.infer<typeof TextFindings>;

/**
 * Characters a region must read to count as text: a dermoscope's ruler ticks, hairs and pigment
 * network read as one or two characters (or none) where a caption reads a word.
 */
export const MIN_TEXT_CHARACTERS = 3;

/** Whether a region counts as text for the burned-in-text score (and is drawn as text in the QC report). */
export const readsAsText = (region: TextRegion) => region.characters >= MIN_TEXT_CHARACTERS;

/**
 * The burned-in-text score of an image: the highest recognition confidence of a region that reads as
 * text (0 when none does). A box the detector finds but the recogniser cannot read with confidence
 * is a lesion's edge or a ruler, not text.
 */
export function textScore({ regions }: TextFindings): number {
  let best = 0;
  for (const region of regions) if (readsAsText(region) && region.confidence > best) best = region.confidence;
  return best;
}
