import { Context } from '@temporalio/activity';
import { ConceptRow } from '../../schemas/cases.ts';
import type { ConceptScores } from '../../schemas/release.ts';
import type { ConceptBatchInput, ConceptBatchResult } from '../../schemas/payloads.ts';
import { getText, type BlobStore } from '../storage/blob-store.ts';
import { batchShard, BUILD_PARTITION, tables } from '../storage/tables.ts';
import type { ActivityDeps } from '../deps.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { conceptEvents } from './provenance-events.ts';

export function conceptActivities(deps: ActivityDeps) {
  return {
    /** Scores one batch of the build's images (the batch shard assemble wrote, in isic_id order) with the concept model. */
    async inferConceptBatch({ batch }: ConceptBatchInput): Promise<ConceptBatchResult> {
      const slice = await deps.lake.readShard(tables.conceptBatches, BUILD_PARTITION, batchShard(batch));
      const model = await deps.conceptModel();
      // Scores are cached per de-identified image and model version: a rebuild scores only new images.
      const cached = await Promise.all(slice.map(async (image) => readCachedScores(deps.store, deps.layout.conceptCache(image.sha256, model.version))));
      const missing = slice.filter((_, i) => cached[i] === undefined);
      const inputs = await Promise.all(
        missing.map(async (image) => ({
          pixels: (await deps.store.get(deps.layout.conceptInput(image.sha256))) ?? missingInput(deps.store, deps.layout.conceptInput(image.sha256)),
          imageType: image.image_type,
        })),
      );
      Context.current().heartbeat({ read: inputs.length });
      const computed = await model.score(inputs);
      await Promise.all(missing.map((image, i) => deps.store.put(deps.layout.conceptCache(image.sha256, model.version), JSON.stringify(computed[i]))));
      const scores = new Map(missing.map((image, i) => [image.isic_id, computed[i]!]));
      const scored = slice.map((image, i) => ({ image, scores: cached[i] ?? scores.get(image.isic_id)! }));
      await deps.lake.writeShard(tables.concepts, BUILD_PARTITION, batchShard(batch), scored.map((s) => ({ isic_id: s.image.isic_id, scores: s.scores })));
      await recordProvenance(deps, BUILD_PARTITION, conceptEvents(model.version, scored), { onlyChanges: true, batch: batchShard(batch) });
      return { images: slice.length };
    },
  };
}

async function readCachedScores(store: BlobStore, key: string): Promise<ConceptScores | undefined> {
  try {
    return ConceptRow.shape.scores.parse(JSON.parse(await getText(store, key)));
  } catch {
    return undefined;
  }
}

/** QC writes every image's concept input beside its JPEG; one gone missing is a broken store, not bad input. */
function missingInput(store: BlobStore, key: string): never {
  throw new Error(`concept input '${store.where(key)}' is missing`);
}
