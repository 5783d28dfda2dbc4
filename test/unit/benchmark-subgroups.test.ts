import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLesionAttributes } from '../../activities/benchmark/read-lesion-attributes.ts';
import { buildScoreReport } from '../../activities/benchmark/score-report.ts';
import { ageBand } from '../../activities/benchmark/subgroups.ts';
import { ScoreReport, type LesionTruth, type PredictionRow } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { writeBenchmarkRelease } from '../helpers/benchmark-release.ts';
import { image, lesion } from '../helpers/release-fixture.ts';

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Six lesions from two centres; IL_0000006 has only a dermoscopic image and no recorded age, sex or skin tone.
const LESIONS = [
  lesion('IL_0000001', 'Melanoma Invasive', { centre: 'vienna', age_approx: 25, sex: 'female', skin_tone_class: 1 }),
  lesion('IL_0000002', 'Nevus', { centre: 'vienna', age_approx: 40, sex: 'male', skin_tone_class: 1 }),
  lesion('IL_0000003', 'Nevus', { centre: 'vienna', age_approx: 60, sex: 'female', skin_tone_class: 3 }),
  lesion('IL_0000004', 'Melanoma Invasive', { centre: 'brisbane', age_approx: 75, sex: 'male', skin_tone_class: 3 }),
  lesion('IL_0000005', 'Nevus', { centre: 'brisbane', age_approx: 85, sex: 'female', skin_tone_class: 3 }),
  lesion('IL_0000006', 'Basal cell carcinoma', { centre: 'brisbane', age_approx: null, sex: null, skin_tone_class: null }),
];
const IMAGES = LESIONS.flatMap((l, i) => [
  ...(i === 5 ? [] : [image(`ISIC_00000${10 + 2 * i}`, l.lesion_id, 'clinical: close-up')]),
  image(`ISIC_00000${11 + 2 * i}`, l.lesion_id, 'dermoscopic'),
]);
const TRUTH: LesionTruth[] = LESIONS.map((l) => ({ lesion_id: l.lesion_id, diagnosis_class: l.diagnosis_class }));
/** Right on every Vienna lesion, wrong (NV for MEL, MEL for NV and BCC) on every Brisbane one. */
const PREDICTIONS: PredictionRow[] = LESIONS.map((l) => {
  const predicted = l.centre === 'vienna' ? l.diagnosis_class : l.diagnosis_class === 'MEL' ? 'NV' : 'MEL';
  return { lesion_id: l.lesion_id, ...Object.fromEntries(CLASSES.map((c) => [c, c === predicted ? 0.9 : 0.01])) } as PredictionRow;
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-subgroups-'));
  await writeBenchmarkRelease(path.join(dir, 'release'), LESIONS, IMAGES);
});

describe('subgroups', () => {
  it('reads each benchmark lesion\'s attributes from the release it was written to', async () => {
    const attributes = await readLesionAttributes(path.join(dir, 'release'));
    expect(attributes).toHaveLength(6);
    expect(attributes![0]).toEqual({ lesion_id: 'IL_0000001', centre: 'vienna', skin_tone_class: 1, sex: 'female', age_approx: 25, image_types: ['clinical: close-up', 'dermoscopic'] });
    expect(attributes![5]).toEqual({ lesion_id: 'IL_0000006', centre: 'brisbane', skin_tone_class: null, sex: null, age_approx: null, image_types: ['dermoscopic'] });
    expect(await readLesionAttributes(path.join(dir, 'no-release'))).toBeNull();
  });

  it('bands ages in 15 years between 30 and 75', () => {
    expect([0, 25, 30, 44, 45, 59, 60, 74, 75, 85, null].map(ageBand)).toEqual(['under 30', 'under 30', '30-44', '30-44', '45-59', '45-59', '60-74', '60-74', '75 and over', '75 and over', 'unknown']);
  });

  it('scores each subgroup on its own lesions, leaving the classes it lacks out of its averages', async () => {
    const attributes = await readLesionAttributes(path.join(dir, 'release'));
    const report = ScoreReport.parse(buildScoreReport({ truth: TRUTH, predictions: { name: 'p.csv', rows: PREDICTIONS }, attributes, bootstrap: { resamples: 50, seed: 1 } }));
    const group = (attribute: string, value: string) => report.subgroups!.find((s) => s.attribute === attribute && s.value === value)!;
    expect(report.subgroups!.map((s) => `${s.attribute}=${s.value}:${s.lesions}`)).toEqual([
      'centre=brisbane:3', 'centre=vienna:3',
      'skin_tone=1:2', 'skin_tone=3:3', 'skin_tone=unknown:1',
      'sex=female:3', 'sex=male:2', 'sex=unknown:1',
      'age_band=under 30:1', 'age_band=30-44:1', 'age_band=60-74:1', 'age_band=75 and over:2', 'age_band=unknown:1',
      'image_type=clinical: close-up + dermoscopic:5', 'image_type=dermoscopic:1',
    ]);
    // Vienna (MEL, NV, NV) is perfect; Brisbane (MEL, NV, BCC) all wrong; BCC is absent from Vienna.
    expect(group('centre', 'vienna')).toMatchObject({ overall: 1, absent_classes: expect.arrayContaining(['BCC']), intervals: { overall: { low: 1, high: 1 } } });
    expect(group('centre', 'brisbane')).toMatchObject({ overall: 0, aggregate: { balanced_accuracy: 0 } });
    expect(group('image_type', 'dermoscopic')).toMatchObject({ lesions: 1, classes: expect.arrayContaining([{ class: 'BCC', lesions: 1, predicted: 0 }]) });
  });
});
