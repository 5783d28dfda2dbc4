import type { ProvenanceDraft } from '../../schemas/provenance.ts';
import type { SourceObject } from '../../schemas/records.ts';
import { sourceId } from '../storage/provenance/event-parts.ts';

/** retrieve: each object whose bytes were fetched, from the store's listing to its staged sha256. */
export function retrieveEvents(source: string, fetched: readonly SourceObject[]): ProvenanceDraft[] {
  return fetched.map((o) => ({
    activity: 'retrieve',
    entity: { kind: 'object', id: sourceId(o.centre, o.key) },
    inputs: [],
    outputs: [{ role: 'raw', sha256: o.sha256 }],
    detail: { centre: o.centre, source, key: o.key, etag: o.etag, size: o.size },
  }));
}
