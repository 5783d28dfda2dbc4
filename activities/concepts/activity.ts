import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { CaseImage } from '../../schemas/cases.ts';
import type { ConceptBatchInput, ConceptBatchResult } from '../../schemas/payloads.ts';
import { BUILD_PARTITION } from '../assemble/activity.ts';
import { batchShard } from '../deidentify/activity.ts';
import type { ActivityDeps } from '../deps.ts';

export function conceptActivities(deps: ActivityDeps) {
  return {
    /** Scores one batch of the build's images (in isic_id order) with the concept model. */
    async inferConceptBatch({ batch, batchSize }: ConceptBatchInput): Promise<ConceptBatchResult> {
      const images = (await deps.lake.readShard('cases', BUILD_PARTITION, 'images', CaseImage)).sort((a, b) => (a.isic_id < b.isic_id ? -1 : 1));
      const slice = images.slice(batch * batchSize, (batch + 1) * batchSize);
      const model = await deps.conceptModel();
      const inputs = await Promise.all(slice.map((image) => readFile(deps.layout.conceptInput(image.sha256))));
      Context.current().heartbeat({ read: inputs.length });
      const scores = await model.score(inputs);
      await deps.lake.writeShard('concepts', BUILD_PARTITION, batchShard(batch), slice.map((image, i) => ({ isic_id: image.isic_id, scores: scores[i]! })));
      return { images: slice.length };
    },
  };
}
