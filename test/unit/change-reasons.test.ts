import { describe, expect, it } from 'vitest';
import { changeReasons, type ChangeReasonInput } from '../../activities/release/versions/change-reasons.ts';
import type { PrivateRecord } from '../../schemas/records.ts';

const record = (patientId: string, lesionId: string, imageKey: string): PrivateRecord => ({
  centre: 'vienna',
  metadataKey: 'export/befunde.csv',
  row: 1,
  imageKey,
  patientId,
  lesionId,
  imageType: 'dermoscopic',
  diagnosis: 'Nevus',
  manipulation: 'instrument only',
});

/** IL_1 released before and still there; IL_2 gone from the export; IL_3 blurred out; IL_4 unpaired; IL_5 new; IL_6 back. */
function input(): ChangeReasonInput {
  const keys: [string, string][] = [['IL_1', 'vienna/P1/L1'], ['IL_2', 'vienna/P2/L2'], ['IL_3', 'vienna/P3/L3'], ['IL_4', 'vienna/P4/L4'], ['IL_5', 'vienna/P5/L5'], ['IL_6', 'vienna/P6/L6']];
  return {
    previous: new Set(['IL_1', 'IL_2', 'IL_3', 'IL_4']),
    current: new Set(['IL_1', 'IL_5', 'IL_6']),
    everReleased: new Set(['IL_1', 'IL_2', 'IL_3', 'IL_4', 'IL_6']),
    lesionKeyOf: new Map(keys),
    records: [record('P1', 'L1', 'a.jpg'), record('P3', 'L3', 'c.jpg'), record('P4', 'L4', 'd.jpg'), record('P5', 'L5', 'e.jpg'), record('P6', 'L6', 'f.jpg')],
    exclusions: [
      { centre: 'vienna', stage: 'qc', entity: 'image', reason: 'blurry', detail: 'c.jpg fails QC: blurry', key: 'c.jpg' },
      { centre: 'vienna', stage: 'assemble', entity: 'lesion', reason: 'missing-clinical', detail: 'lesion L4: no clinical image', lesionId: 'L4' },
    ],
    changes: [{ centre: 'vienna', key: 'e.jpg', change: 'new' }, { centre: 'vienna', key: 'b.jpg', change: 'deleted' }],
  };
}

describe('changeReasons', () => {
  it('says why each lesion left or entered the release, from the private lake', () => {
    expect(Object.fromEntries(changeReasons(input()))).toEqual({
      IL_2: { reason: 'removed-at-centre', detail: 'its rows are no longer in the centre export' },
      IL_3: { reason: 'excluded-by-qc', detail: 'QC: blurry' },
      IL_4: { reason: 'excluded-at-assembly', detail: 'assemble: missing-clinical' },
      IL_5: { reason: 'new-at-centre' },
      IL_6: { reason: 'returned', detail: 'released by an earlier version' },
    });
  });

  it('calls a lesion excluded before and passing now returned, not new', () => {
    const reasons = changeReasons({ ...input(), everReleased: new Set(), changes: [] });
    expect(reasons.get('IL_5')).toEqual({ reason: 'returned', detail: 'excluded before, passes now' });
  });

  it('never quotes a source key or local id', () => {
    const text = JSON.stringify([...changeReasons(input())]);
    for (const secret of ['c.jpg', 'L4', 'P3', 'vienna/']) expect(text).not.toContain(secret);
  });
});
