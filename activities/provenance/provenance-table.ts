import { ProvenanceShard, type ProvenanceEvent } from '../../schemas/provenance.ts';
import type { Lake } from '../storage/lake.ts';

/** The private lake table of provenance events: partitioned by centre (ingest steps) or `_build`, one shard per activity execution. */
export const PROVENANCE_TABLE = 'provenance';

/** Every recorded event (optionally of one partition), each with the context of the execution that recorded it. */
export async function readProvenance(lake: Lake, partition?: string): Promise<ProvenanceEvent[]> {
  const shards = await lake.read(PROVENANCE_TABLE, ProvenanceShard, partition);
  return shards.flatMap(({ execution, events }) => events.map((event) => ({ ...event, ...execution })));
}
