import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { groundTruthCsv } from '../../activities/release/release-csvs.ts';
import { lesion } from '../helpers/release-fixture.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'milk-ground-truth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'lesion_id,AKIEC,BCC,BEN_OTH,BKL,DF,INF,MAL_OTH,MEL,NV,SCCKA,VASC';

describe('readGroundTruth', () => {
  it('reads the ground truth the release writes: each lesion with its one class', async () => {
    const file = path.join(dir, 'MILK10k_Test_GroundTruth.csv');
    writeFileSync(file, groundTruthCsv({ lesions: [lesion('IL_0000002', 'Nevus'), lesion('IL_0000001', 'Melanoma Invasive'), lesion('IL_0000003', 'Dermatofibroma')] }));
    expect(await readGroundTruth(file)).toEqual([
      { lesion_id: 'IL_0000001', diagnosis_class: 'MEL' },
      { lesion_id: 'IL_0000002', diagnosis_class: 'NV' },
      { lesion_id: 'IL_0000003', diagnosis_class: 'DF' },
    ]);
  });

  it('refuses a ground truth that is not one-hot, with every problem and its row', async () => {
    const file = path.join(dir, 'bad-truth.csv');
    writeFileSync(file, [
      HEADER,
      'IL_0000001,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,1.0,0.0,0.0',
      'IL_0000002,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.5,0.0,0.0',
      'IL_0000001,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,0.0,0.0,0.0',
      'L-17,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,0.0,0.0,0.0',
    ].join('\n'));
    await expect(readGroundTruth(file)).rejects.toThrow(
      [
        `${file} has 5 problem(s):`,
        'row 1: exactly one class must be 1.0',
        'row 2: NV: 0.5 is neither 1.0 nor 0.0',
        'row 2: exactly one class must be 1.0',
        'row 3: lesion_id IL_0000001 already appears in row 1',
        'row 4: lesion_id: Invalid string: must match pattern /^IL_\\d{7}$/',
      ].join('\n'),
    );
  });

  it('refuses a ground truth without lesions', async () => {
    const file = path.join(dir, 'empty-truth.csv');
    writeFileSync(file, `${HEADER}\n`);
    await expect(readGroundTruth(file)).rejects.toThrow(`${file}: the file has a header but no data rows`);
  });
});
