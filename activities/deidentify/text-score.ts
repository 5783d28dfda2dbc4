import type { TextFindings } from '../../schemas/text-findings.ts';

/**
 * Characters a region must read to count as text: a dermoscope's ruler ticks, hairs and pigment
 * network read as one or two characters (or none) where a caption reads a word.
 */
export const MIN_TEXT_CHARACTERS = 3;

/**
 * The burned-in-text score of an image: the highest recognition confidence of a region that read at
 * least MIN_TEXT_CHARACTERS characters (0 when none did). A box the detector finds but the recogniser
 * cannot read with confidence is a lesion's edge or a ruler, not text.
 */
export function textScore({ regions }: TextFindings): number {
  let best = 0;
  for (const region of regions) if (region.characters >= MIN_TEXT_CHARACTERS && region.confidence > best) best = region.confidence;
  return best;
}
