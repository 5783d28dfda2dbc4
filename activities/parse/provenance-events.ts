import type { ProvenanceDraft } from '../../schemas/provenance.ts';
import type { PrivateRecord, SourceObject } from '../../schemas/records.ts';
import { sha256 } from '../storage/files.ts';
import { recordId, sourceId } from '../storage/provenance/event-parts.ts';

/** parse: each harmonised record, from its metadata object and row to the hash of the record. */
export function parseEvents(records: readonly PrivateRecord[], metadata: readonly SourceObject[]): ProvenanceDraft[] {
  const shaOf = new Map(metadata.map((o) => [o.key, o.sha256]));
  return records.map((r) => ({
    activity: 'parse',
    entity: { kind: 'record', id: recordId(r) },
    inputs: [{ role: 'metadata', id: sourceId(r.centre, r.metadataKey), sha256: shaOf.get(r.metadataKey) }],
    outputs: [{ role: 'record', sha256: sha256(JSON.stringify(r)) }],
    detail: { centre: r.centre, metadataKey: r.metadataKey, row: r.row, imageKey: r.imageKey },
  }));
}
