import type { ProvenanceEvent } from '../../../schemas/provenance.ts';
import type { Lake } from '../lake.ts';
import { tables } from '../tables.ts';

/** Every recorded event (optionally of one partition), each with the context of the execution that recorded it. */
export async function readProvenance(lake: Lake, partition?: string): Promise<ProvenanceEvent[]> {
  const shards = await lake.read(tables.provenance, partition);
  return shards.flatMap(({ execution, events }) => events.map((event) => ({ ...event, ...execution })));
}
