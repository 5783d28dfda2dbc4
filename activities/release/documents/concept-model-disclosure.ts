import type { ConceptModelDisclosure } from '../../../schemas/concept-model.ts';
import { CONCEPT_COLUMNS } from '../../../schemas/release.ts';

/**
 * One sentence saying what produced the MONET_* columns: the model, its version (content hash), what
 * it was trained on and how well it agrees with MONET. Croissant and the datasheet both say it.
 */
export function conceptModelSummary(model: ConceptModelDisclosure): string {
  const training = model.training?.data ? ` Trained on ${model.training.data}${model.training.trainLesions ? ` (${model.training.trainLesions} lesions)` : ''}.` : '';
  const agreement = model.agreement
    ? ` Spearman rho with the official MONET scores on ${model.training?.validationLesions ?? 'held-out'} validation lesions: ${Object.entries(model.agreement)
        .map(([group, a]) => `${group} ${a.meanRho.toFixed(2)}`)
        .join(', ')} (mean over the ${CONCEPT_COLUMNS.length} concepts).`
    : ' Its agreement with MONET was not measured.';
  return `The ${CONCEPT_COLUMNS.length} MONET_* concept scores are estimates by the concept model ${model.version} (${model.kind === 'encoder' ? 'an image encoder scored against concept prompt embeddings, as MONET scores' : 'a direct regressor'}).${training}${agreement}`;
}
