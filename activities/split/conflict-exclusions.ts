import type { Exclusion, PrivateRecord } from '../../schemas/records.ts';
import { lesionPlace } from '../storage/lesion-place.ts';

const lesionKeyOf = (r: PrivateRecord) => `${r.centre}/${r.patientId}/${r.lesionId}`;
const imageRef = (centre: string, key: string) => `${centre}\u0000${key}`;

/**
 * The exclusions of lesions the split cannot place (split conflicts): one for the lesion, and one for
 * each of its images not excluded before, with its source key and row, so every source image is
 * still accounted for. `lesionKeys` maps public lesion ids to private lesion keys (the id map).
 */
export function conflictExclusions(
  conflicts: readonly string[],
  lesionKeys: ReadonlyMap<string, string>,
  records: readonly PrivateRecord[],
  earlier: readonly Exclusion[],
): Exclusion[] {
  const excluded = new Set(earlier.filter((e) => e.key !== undefined).map((e) => imageRef(e.centre, e.key!)));
  return conflicts.flatMap((id) => {
    const rows = records.filter((r) => lesionKeyOf(r) === lesionKeys.get(id));
    if (rows.length === 0) throw new Error(`lesion ${id} of the split has no record in the lake`);
    const why = `lesion ${id} is new in a patient or duplicate group that has lesions in both the benchmark and train`;
    return [
      { centre: rows[0]!.centre, stage: 'split', entity: 'lesion', reason: 'split-conflict', detail: `${lesionPlace(rows)}: ${why}`, lesionId: rows[0]!.lesionId },
      ...rows
        .filter((r) => !excluded.has(imageRef(r.centre, r.imageKey)))
        .map((r): Exclusion => ({ centre: r.centre, stage: 'split', entity: 'image', reason: 'split-conflict', detail: `${r.imageKey}: ${why}`, key: r.imageKey, row: r.row })),
    ];
  });
}
