import { describe, expect, it } from 'vitest';
import { diffReleases, groupDiff } from '../../activities/release/versions/release-diff.ts';
import { lesion, scores } from '../helpers/release-fixture.ts';
import { baseSnapshot, withImageFields, withLesion, withLesionFields, withoutLesion } from '../helpers/snapshot-fixture.ts';

const diagnosisOf = (term: string) => {
  const { diagnosis_full, diagnosis_class, diagnosis_1, diagnosis_2, diagnosis_3, diagnosis_4, diagnosis_5 } = lesion('IL_0000001', term);
  return { diagnosis_full, diagnosis_class, diagnosis_1, diagnosis_2, diagnosis_3, diagnosis_4, diagnosis_5 };
};

describe('diffReleases', () => {
  it('finds nothing between a snapshot and itself with its rows in another order', () => {
    const base = baseSnapshot();
    const shuffled = { ...base, lesions: [...base.lesions].reverse(), images: [...base.images].reverse() };
    expect(diffReleases(base, shuffled, new Map())).toEqual([]);
  });

  it('lists everything as added for a first release, lesions first, each sorted by id', () => {
    const entries = diffReleases(undefined, baseSnapshot(), new Map());
    expect(entries.map((e) => [e.entity, e.id, e.change, e.reason])).toEqual([
      ['lesion', 'IL_0000100', 'added', 'added'],
      ['lesion', 'IL_0000200', 'added', 'added'],
      ['lesion', 'IL_0000300', 'added', 'added'],
      ...['1', '2', '3', '4', '5', '6'].map((n) => ['image', `ISIC_000000${n}`, 'added', 'added']),
    ]);
    expect(entries.find((e) => e.id === 'IL_0000100')!.detail).toBe('BCC, train, 2 image(s)');
    expect(entries.find((e) => e.id === 'IL_0000200')!.detail).toBe('benchmark, 2 image(s)');
  });

  it('gives an added lesion and its images the reason the caller knows, with its detail', () => {
    const entries = diffReleases(baseSnapshot(), withLesion(baseSnapshot(), 'IL_0000400', 7), new Map([['IL_0000400', { reason: 'returned' as const, detail: 'back after a QC threshold change' }]]));
    expect(entries).toEqual([
      { entity: 'lesion', id: 'IL_0000400', change: 'added', reason: 'returned', detail: 'back after a QC threshold change; NV, train, 2 image(s)', fields: [] },
      { entity: 'image', id: 'ISIC_0000007', change: 'added', reason: 'returned', detail: 'back after a QC threshold change; dermoscopic of IL_0000400', fields: [] },
      { entity: 'image', id: 'ISIC_0000008', change: 'added', reason: 'returned', detail: 'back after a QC threshold change; clinical: close-up of IL_0000400', fields: [] },
    ]);
  });

  it('gives removed lesions their reason, or plain removed when none is known', () => {
    const current = withoutLesion(withoutLesion(baseSnapshot(), 'IL_0000100'), 'IL_0000300');
    const entries = diffReleases(baseSnapshot(), current, new Map([['IL_0000300', { reason: 'excluded-by-qc' as const, detail: 'QC check blurry' }]]));
    expect(entries.map((e) => [e.id, e.change, e.reason])).toEqual([
      ['IL_0000100', 'removed', 'removed'],
      ['IL_0000300', 'removed', 'excluded-by-qc'],
      ['ISIC_0000001', 'removed', 'removed'],
      ['ISIC_0000002', 'removed', 'removed'],
      ['ISIC_0000005', 'removed', 'excluded-by-qc'],
      ['ISIC_0000006', 'removed', 'excluded-by-qc'],
    ]);
    expect(entries[1]!.detail).toBe('QC check blurry; NV, train, 2 image(s)');
  });

  it('does not use a reason that does not fit the change, such as a removal reason for an added lesion', () => {
    const entries = diffReleases(baseSnapshot(), withLesion(baseSnapshot(), 'IL_0000400', 7), new Map([['IL_0000400', { reason: 'removed-at-centre' as const, detail: 'stale' }]]));
    expect(entries.map((e) => [e.id, e.reason, e.detail.includes('stale')])).toEqual([
      ['IL_0000400', 'added', false],
      ['ISIC_0000007', 'added', false],
      ['ISIC_0000008', 'added', false],
    ]);
  });

  it('calls a changed diagnosis a diagnosis correction, listing every changed field', () => {
    const current = withLesionFields(baseSnapshot(), 'IL_0000300', { ...diagnosisOf('Melanoma in situ'), site: 'head_neck_face' });
    const [entry, ...rest] = diffReleases(baseSnapshot(), current, new Map());
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ entity: 'lesion', id: 'IL_0000300', change: 'changed', reason: 'diagnosis-corrected', detail: 'Nevus, Acral (NV) -> Melanoma in situ (MEL)' });
    expect(entry!.fields).toEqual(expect.arrayContaining(['site', 'diagnosis_full', 'diagnosis_class']));
  });

  it("never shows a benchmark lesion's diagnosis, whose labels are withheld", () => {
    const current = withLesionFields(baseSnapshot(), 'IL_0000200', diagnosisOf('Melanoma in situ'));
    const [entry] = diffReleases(baseSnapshot(), current, new Map());
    expect(entry).toMatchObject({ id: 'IL_0000200', reason: 'diagnosis-corrected', detail: 'benchmark label corrected (withheld)' });
  });

  it('calls other lesion field changes metadata corrections', () => {
    const current = withLesionFields(baseSnapshot(), 'IL_0000100', { age_approx: 80, sex: 'female' });
    expect(diffReleases(baseSnapshot(), current, new Map())).toEqual([
      { entity: 'lesion', id: 'IL_0000100', change: 'changed', reason: 'metadata-corrected', detail: 'corrected age_approx: 85 -> 80, sex: male -> female', fields: ['age_approx', 'sex'], values: { age_approx: { old: 85, new: 80 }, sex: { old: 'male', new: 'female' } } },
    ]);
  });

  it('flags a lesion that changed split as a split conflict', () => {
    const [entry] = diffReleases(baseSnapshot(), withLesionFields(baseSnapshot(), 'IL_0000200', { split: 'train' }), new Map());
    expect(entry).toMatchObject({ id: 'IL_0000200', reason: 'split-conflict', detail: 'moved from the benchmark split to train', fields: ['split'] });
  });

  it('calls new JPEG bytes an image replacement, even when the scores changed with them', () => {
    const current = withImageFields(baseSnapshot(), 'ISIC_0000004', { sha256: 'f'.repeat(64), concepts: scores(99) });
    const [entry] = diffReleases(baseSnapshot(), current, new Map());
    expect(entry).toMatchObject({ entity: 'image', id: 'ISIC_0000004', change: 'changed', reason: 'image-replaced' });
    expect(entry!.fields[0]).toBe('sha256');
    expect(entry!.detail).toContain('-> ffffffffffff');
  });

  it('names the changed scores, and the old and new concept model when the model changed', () => {
    const before = baseSnapshot().images.find((i) => i.isic_id === 'ISIC_0000001')!;
    const current = withImageFields(baseSnapshot(), 'ISIC_0000001', { concepts: { ...before.concepts, MONET_hair: 0.5 } });
    expect(diffReleases(baseSnapshot(), current, new Map())).toEqual([
      { entity: 'image', id: 'ISIC_0000001', change: 'changed', reason: 'concept-scores-changed', detail: '1 concept score(s) changed, under concept model model-a', fields: ['MONET_hair'] },
    ]);
    const [entry] = diffReleases(baseSnapshot(), { ...current, conceptModel: 'model-b' }, new Map());
    expect(entry!.detail).toBe('1 concept score(s) changed, concept model model-a -> model-b');
  });

  it('calls a corrected image type a metadata correction', () => {
    const [entry] = diffReleases(baseSnapshot(), withImageFields(baseSnapshot(), 'ISIC_0000003', { image_type: 'dermoscopic' }), new Map());
    expect(entry).toMatchObject({ id: 'ISIC_0000003', reason: 'metadata-corrected', fields: ['image_type'] });
  });
});

describe('groupDiff', () => {
  it('groups lesions before images, added before removed before changed', () => {
    let current = withLesion(withoutLesion(baseSnapshot(), 'IL_0000100'), 'IL_0000400', 7);
    current = withLesionFields(current, 'IL_0000300', { sex: 'male' });
    const groups = groupDiff(diffReleases(baseSnapshot(), current, new Map()).reverse());
    expect(groups.map((g) => [g.entity, g.change, g.reason, g.entries.length])).toEqual([
      ['lesion', 'added', 'added', 1],
      ['lesion', 'removed', 'removed', 1],
      ['lesion', 'changed', 'metadata-corrected', 1],
      ['image', 'added', 'added', 2],
      ['image', 'removed', 'removed', 2],
    ]);
  });
});
