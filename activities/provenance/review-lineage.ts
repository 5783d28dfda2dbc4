import type { Lineage } from '../../schemas/provenance.ts';
import type { ReviewDecision } from '../../schemas/review.ts';

/** The lineage with each image's curator decisions (by its de-identified sha256, as QC recorded it). */
export function withReviews(lineage: Lineage, decisions: readonly ReviewDecision[]): Lineage {
  return {
    ...lineage,
    images: lineage.images.map((image) => {
      const sha = image.qc?.inputs.find((i) => i.role === 'deidentified')?.sha256 ?? image.deidentification?.outputs[0]?.sha256;
      const about = (d: ReviewDecision) => (d.subject.kind === 'image' ? d.subject.image === sha : d.subject.images.includes(sha ?? ''));
      const reviews = sha === undefined ? [] : decisions.filter(about);
      return reviews.length > 0 ? { ...image, reviews } : image;
    }),
  };
}
