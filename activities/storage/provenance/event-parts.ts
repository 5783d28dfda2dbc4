import type { ImageExclusion, ProvenanceDraft } from '../../../schemas/provenance.ts';
import type { Exclusion, PrivateRecord } from '../../../schemas/records.ts';

/**
 * The parts of provenance events that more than one stage builds (each stage builds its own events
 * in its provenance-events.ts). Entity ids are explained in schemas/provenance.ts.
 */

/** A source object's identity: its centre and its key in the drop. */
export const sourceId = (centre: string, key: string) => `${centre}/${key}`;

/** A harmonised record's identity: its metadata object and row. */
export const recordId = (record: PrivateRecord) => `${sourceId(record.centre, record.metadataKey)}#${record.row}`;

/** The inputs, outputs and detail of an event that says an image was left out, and why. */
export function excluded(e: Exclusion): { inputs: ProvenanceDraft['inputs']; outputs: []; detail: ImageExclusion } {
  return {
    inputs: e.sha256 ? [{ role: 'source', sha256: e.sha256 }] : [],
    outputs: [],
    detail: { centre: e.centre, key: e.key ?? '', stage: e.stage, reason: e.reason, detail: e.detail },
  };
}
