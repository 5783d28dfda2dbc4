import type { ProvenanceDraft } from '../../schemas/provenance.ts';
import type { ConceptScores, PublicImage } from '../../schemas/release.ts';

/** concepts: each image scored, with the model version and the de-identified image it read. */
export function conceptEvents(modelVersion: string, scored: readonly { image: PublicImage; scores: ConceptScores }[]): ProvenanceDraft[] {
  return scored.map(({ image, scores }) => ({
    activity: 'concepts',
    entity: { kind: 'image', id: image.isic_id },
    inputs: [{ role: 'deidentified', sha256: image.sha256 }],
    outputs: [],
    detail: { modelVersion, scores },
  }));
}
