import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CentreInput, RetrieveResult } from '../../schemas/payloads.ts';
import { z } from 'zod';
import { SourceObject } from '../../schemas/records.ts';
import type { ActivityDeps } from '../deps.ts';
import { recordProvenance } from '../storage/provenance/record-provenance.ts';
import { retrieveEvents } from './provenance-events.ts';
import { previousOfRun } from '../storage/run-base.ts';
import { batchShard, CENTRE_DERIVED_TABLES, tables } from '../storage/tables.ts';
import { openCentreSource } from './centre-source.ts';
import { retrieveCentre } from './retrieve-centre.ts';
import { RetrieveProgress } from './retrieve-progress.ts';

/** What a retrieval heartbeats: counts only (object keys are centre filenames, which are PHI). */
interface RetrieveHeartbeat {
  staged: number;
}

const HEARTBEAT_EVERY_MS = 1000;

/**
 * The centre's images in key order, one shard per de-identification batch, so a batch activity reads
 * its own images instead of the whole inventory (which would make ingest quadratic in the drop's size).
 */
async function writeImageBatches(deps: ActivityDeps, centre: string, objects: readonly SourceObject[]): Promise<void> {
  const images = objects.filter((o) => o.kind === 'image');
  const { batchSize } = deps.config.ingest;
  for (let batch = 0; batch * batchSize < images.length; batch++) {
    await deps.lake.writeShard(tables.imageBatches, centre, batchShard(batch), images.slice(batch * batchSize, (batch + 1) * batchSize));
  }
}

export function retrieveActivities(deps: ActivityDeps) {
  return {
    /**
     * Stages a centre's drop and records its inventory, fetching only what changed since the previous
     * build's inventory. A first attempt starts the centre's derived partitions afresh; a retried
     * attempt finds its heartbeat details and resumes after the objects already staged.
     */
    async retrieveCentre({ centre: id }: CentreInput): Promise<RetrieveResult> {
      const centre = deps.centre(id);
      const context = Context.current();
      const progress = new RetrieveProgress(deps.lake, id);
      const resumed = context.info.heartbeatDetails as RetrieveHeartbeat | undefined;
      if (!resumed) {
        await progress.clear();
        for (const table of CENTRE_DERIVED_TABLES) await deps.lake.clearPartition(table, id);
        context.heartbeat({ staged: 0 } satisfies RetrieveHeartbeat); // from here on, a retry resumes
      }
      const done = resumed ? await progress.read() : [];
      let staged = done.length;
      let beat = 0;
      const fetchedObjects: SourceObject[] = done.filter((d) => d.fetched);
      const source = openCentreSource(centre, deps.loaded);
      const result = await retrieveCentre(centre, source, deps, {
        maxObjectBytes: deps.config.ingest.maxObjectBytes,
        fetchesInFlight: deps.config.ingest.fetchesInFlight,
        // As the run's first attempt found it: a killed attempt may already have replaced the inventory.
        previous: await previousOfRun(deps, `retrieve-${id}`, context.info.workflowExecution?.runId, z.array(SourceObject), () => deps.lake.read(tables.inventory, id)),
        done,
        onStaged(object, fetched) {
          staged++;
          if (fetched) fetchedObjects.push(object);
          // Only transferred objects need recording: unchanged ones are found again through the
          // previous inventory. Recorded before announced, so a heartbeat never promises more than is on disk.
          const recorded = fetched ? progress.append({ ...object, fetched }) : progress.flush();
          void recorded.then(() => {
            if (Date.now() - beat < HEARTBEAT_EVERY_MS) return;
            beat = Date.now();
            context.heartbeat({ staged } satisfies RetrieveHeartbeat);
          });
        },
      });
      await progress.flush();
      if (result.counts.failed > 0) {
        // A release that silently lacked listed objects would be published as a new version: stop the
        // build instead (the current release stays), and keep the inventory of the previous build.
        await deps.lake.writeShard(tables.exclusions, id, 'retrieve', result.exclusions);
        throw ApplicationFailure.nonRetryable(
          `centre ${id} is incomplete: ${result.counts.failed} of ${result.counts.seen} listed objects could not be fetched (the store answered definitively: gone, forbidden or changed since listed). ` +
            `The build stops and the current release stays; the objects and reasons are in ${deps.lake.where(tables.exclusions, id, 'retrieve')}.`,
        );
      }
      await deps.lake.writeShard(tables.inventory, id, 'objects', result.objects);
      await writeImageBatches(deps, id, result.objects);
      await deps.lake.writeShard(tables.exclusions, id, 'retrieve', result.exclusions);
      await deps.lake.writeShard(tables.changes, id, 'retrieve', result.changes);
      await recordProvenance(deps, id, retrieveEvents(source.description, fetchedObjects));
      const fetchedBefore = done.filter((d) => d.fetched).length;
      await progress.clear();
      return {
        objects: result.counts.seen,
        images: result.objects.filter((o) => o.kind === 'image').length,
        metadataFiles: result.objects.filter((o) => o.kind === 'metadata').length,
        bytes: result.bytes,
        excluded: result.exclusions.length,
        new: result.counts.new,
        changed: result.counts.changed,
        unchanged: result.counts.unchanged,
        deleted: result.counts.deleted,
        failed: result.counts.failed,
        fetched: fetchedBefore + result.counts.fetched,
        fetchedBytes: result.counts.fetchedBytes,
        attempt: context.info.attempt,
      };
    },
  };
}
