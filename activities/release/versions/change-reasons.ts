import type { ChangeReason } from '../../../schemas/catalog.ts';
import type { Exclusion, ObjectChange, PrivateRecord } from '../../../schemas/records.ts';

export interface ChangeReasonInput {
  /** lesion ids of the previous version and of this build */
  previous: ReadonlySet<string>;
  current: ReadonlySet<string>;
  /** every lesion id any earlier version released */
  everReleased: ReadonlySet<string>;
  /** public lesion id -> private lesion key (`centre/patientId/lesionId`), from the id map */
  lesionKeyOf: ReadonlyMap<string, string>;
  /** this build's records, exclusions and the objects retrieval found new, changed or deleted */
  records: readonly PrivateRecord[];
  exclusions: readonly Exclusion[];
  changes: readonly ObjectChange[];
}

const lesionKey = (r: Pick<PrivateRecord, 'centre' | 'patientId' | 'lesionId'>) => `${r.centre}/${r.patientId}/${r.lesionId}`;
const objectRef = (centre: string, key: string) => `${centre}\u0000${key}`;

/**
 * Why each lesion entered or left the release since the previous version, from the private lake:
 * a lesion whose rows are gone was removed at its centre; one whose rows are there was excluded, by
 * QC or at assembly, for the reason its exclusion records. An added lesion is new at its centre when
 * its images arrived in this build, else it returned (released before, or excluded before and now
 * passing). Details name check and reason codes only, never a source value.
 */
export function changeReasons(input: ChangeReasonInput): Map<string, ChangeReason> {
  const recordsByLesion = new Map<string, PrivateRecord[]>();
  for (const record of input.records) recordsByLesion.set(lesionKey(record), [...(recordsByLesion.get(lesionKey(record)) ?? []), record]);
  const arrived = new Set(input.changes.filter((c) => c.change !== 'deleted').map((c) => objectRef(c.centre, c.key)));
  const imageExclusion = new Map(input.exclusions.filter((e) => e.key !== undefined).map((e) => [objectRef(e.centre, e.key!), e]));
  const lesionExclusion = new Map(input.exclusions.filter((e) => e.entity === 'lesion' && e.lesionId !== undefined).map((e) => [`${e.centre}\u0000${e.lesionId}`, e]));

  const reasons = new Map<string, ChangeReason>();
  for (const id of input.previous) {
    if (input.current.has(id)) continue;
    const records = recordsByLesion.get(input.lesionKeyOf.get(id) ?? '') ?? [];
    if (records.length === 0) {
      reasons.set(id, { reason: 'removed-at-centre', detail: 'its rows are no longer in the centre export' });
      continue;
    }
    const imageExclusions = records.map((r) => imageExclusion.get(objectRef(r.centre, r.imageKey))).filter((e) => e !== undefined);
    // A curator's exclusion is why its lesion went, not the partner it left unpaired.
    const exclusion =
      imageExclusions.find((e) => e.reason === 'curator-excluded') ?? imageExclusions[0] ?? lesionExclusion.get(`${records[0]!.centre}\u0000${records[0]!.lesionId}`);
    if (exclusion?.reason === 'curator-excluded') reasons.set(id, { reason: 'excluded-by-curator', detail: 'a curator excluded an image of it (milk review)' });
    else if (exclusion?.stage === 'qc') reasons.set(id, { reason: 'excluded-by-qc', detail: `QC: ${exclusion.reason}` });
    else reasons.set(id, { reason: 'excluded-at-assembly', detail: exclusion ? `${exclusion.stage}: ${exclusion.reason}` : 'no longer pairs into a lesion' });
  }
  for (const id of input.current) {
    if (input.previous.has(id)) continue;
    const records = recordsByLesion.get(input.lesionKeyOf.get(id) ?? '') ?? [];
    const isNew = !input.everReleased.has(id) && records.some((r) => arrived.has(objectRef(r.centre, r.imageKey)));
    reasons.set(id, isNew ? { reason: 'new-at-centre' } : { reason: 'returned', detail: input.everReleased.has(id) ? 'released by an earlier version' : 'excluded before, passes now' });
  }
  return reasons;
}
