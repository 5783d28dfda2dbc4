import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidFileError } from '../../activities/benchmark/invalid-file-error.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import type { LesionTruth } from '../../schemas/benchmark-score.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'milk-predictions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRUTH: LesionTruth[] = [
  { lesion_id: 'IL_0000001', diagnosis_class: 'MEL' },
  { lesion_id: 'IL_0000002', diagnosis_class: 'NV' },
  { lesion_id: 'IL_0000003', diagnosis_class: 'BCC' },
];
/** The class columns after MEL and NV, all 0. */
const OTHER_CLASSES = 'AKIEC,BCC,BEN_OTH,BKL,DF,INF,MAL_OTH,SCCKA,VASC';
const zeros = (n: number) => Array(n).fill('0').join(',');

function csvFile(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function refusal(file: string): Promise<InvalidFileError> {
  const err = await readPredictions(file, TRUTH).then(
    () => expect.fail('expected the predictions to be refused'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidFileError);
  return err as InvalidFileError;
}

/** The problems readPredictions throws for a file, as the lines a user sees. */
async function problemsOf(file: string): Promise<string[]> {
  const err = await refusal(file);
  if (err.message.startsWith(`${file}: `)) return [err.message.slice(file.length + 2)];
  expect(err.message.split('\n')[0]).toBe(`${file} has ${err.problems.length} problem(s):`);
  return err.message.split('\n').slice(1);
}

describe('readPredictions', () => {
  it('reads the class columns in any order, with a byte-order mark and any decimal notation', async () => {
    const file = csvFile('good.csv', [
      `\uFEFFNV,lesion_id,MEL,${OTHER_CLASSES}`,
      `0.25,IL_0000002,0.75,${zeros(9)}`,
      `1,IL_0000001,0,${zeros(9)}`,
      `.5,IL_0000003,5e-1,${zeros(9)}`,
    ]);
    const rows = await readPredictions(file, TRUTH);
    expect(rows.map((r) => [r.lesion_id, r.NV, r.MEL, r.VASC])).toEqual([
      ['IL_0000002', 0.25, 0.75, 0],
      ['IL_0000001', 1, 0, 0],
      ['IL_0000003', 0.5, 0.5, 0],
    ]);
  });

  it('reports every problem of a file with its row, not just the first', async () => {
    const file = csvFile('bad.csv', [
      `lesion_id,MEL,NV,${OTHER_CLASSES}`,
      `IL_0000001,0.5,1.5,${zeros(9)}`,
      `IL_0000001,-0.1,0.2,${zeros(9)}`,
      `IL_0000009,abc,,${zeros(9)}`,
      `IL_0000002,0.5,0.5`,
      `,0.5,0.5,${zeros(9)}`,
    ]);
    expect(await problemsOf(file)).toEqual([
      'row 1: NV: 1.5 is not in [0, 1]',
      'row 2: lesion_id IL_0000001 already appears in row 1',
      'row 2: MEL: -0.1 is not in [0, 1]',
      'row 3: MEL: "abc" is not a number',
      'row 3: NV: "" is not a number',
      'row 3: lesion_id IL_0000009 is not a lesion of the benchmark',
      'row 4: has 3 cells where the header has 12',
      'row 5: lesion_id: is empty',
      'lesion IL_0000003 has no prediction row',
    ]);
  });

  it('reports a missing or unknown class column once, in the header, not on every row', async () => {
    const file = csvFile('columns.csv', [`lesion_id,MEL,Nevus,${OTHER_CLASSES}`, `IL_0000001,0.5,0.5,${zeros(9)}`, `IL_0000002,0.5,2,${zeros(9)}`, `IL_0000003,x,0.5,${zeros(9)}`]);
    expect(await problemsOf(file)).toEqual(['header: missing column NV', 'header: unknown column Nevus', 'row 3: MEL: "x" is not a number']);
  });

  it('does not call every lesion missing when the lesion_id column is', async () => {
    const file = csvFile('no-id.csv', [`lesion,MEL,NV,${OTHER_CLASSES}`, `IL_0000001,0.5,0.5,${zeros(9)}`]);
    expect(await problemsOf(file)).toEqual(['header: missing column lesion_id', 'header: unknown column lesion']);
  });

  it('reports a repeated column', async () => {
    const file = csvFile('repeated.csv', [`lesion_id,MEL,NV,MEL,${OTHER_CLASSES}`, `IL_0000001,0.5,0.5,0.5,${zeros(9)}`, `IL_0000002,0.5,0.5,0.5,${zeros(9)}`, `IL_0000003,0.5,0.5,0.5,${zeros(9)}`]);
    expect(await problemsOf(file)).toEqual(['header: column MEL appears more than once']);
  });

  it('reports a file that is not CSV at all in one line', async () => {
    const file = csvFile('broken.csv', [`lesion_id,MEL,NV,${OTHER_CLASSES}`, `"IL_0000001,0.5,0.5,${zeros(9)}`]);
    expect((await refusal(file)).message).toMatch(new RegExp(`^${file}: not readable as CSV: [^\n]+$`));
  });

  it('reports an empty file, and a file with a header only, in one line each rather than a line per missing lesion', async () => {
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '\n \n');
    expect((await refusal(empty)).message).toBe(`${empty}: the file is empty`);
    const headerOnly = csvFile('header-only.csv', [`lesion_id,MEL,NV,${OTHER_CLASSES}`]);
    expect((await refusal(headerOnly)).message).toBe(`${headerOnly}: the file has a header but no data rows`);
  });

  it('takes a reader\'s subset of the lesions with subset, and still refuses lesions outside the benchmark', async () => {
    const file = csvFile('reader.csv', [`lesion_id,MEL,NV,${OTHER_CLASSES}`, `IL_0000002,0,1,${zeros(9)}`]);
    expect((await readPredictions(file, TRUTH, { subset: true })).map((r) => r.lesion_id)).toEqual(['IL_0000002']);
    expect(await problemsOf(file)).toEqual(['lesion IL_0000001 has no prediction row', 'lesion IL_0000003 has no prediction row']);
    const outside = csvFile('reader-outside.csv', [`lesion_id,MEL,NV,${OTHER_CLASSES}`, `IL_0000009,0,1,${zeros(9)}`]);
    await expect(readPredictions(outside, TRUTH, { subset: true })).rejects.toThrow('row 1: lesion_id IL_0000009 is not a lesion of the benchmark');
  });

  it('takes an image column and ids ending in .jpg, as the official scorer does', async () => {
    const file = csvFile('image-ids.csv', [
      `image,MEL,NV,${OTHER_CLASSES}`,
      `IL_0000001.jpg,0.9,0.1,${zeros(9)}`,
      `IL_0000002.JPG,0.2,0.8,${zeros(9)}`,
      `IL_0000003,0.2,0.2,${zeros(9)}`,
    ]);
    expect((await readPredictions(file, TRUTH)).map((r) => [r.lesion_id, r.MEL])).toEqual([['IL_0000001', 0.9], ['IL_0000002', 0.2], ['IL_0000003', 0.2]]);
    // The stripped id is the one checked: the same lesion twice is still a repeat.
    const twice = csvFile('image-twice.csv', [`lesion_id,MEL,NV,${OTHER_CLASSES}`, `IL_0000001.jpg,0.9,0.1,${zeros(9)}`, `IL_0000001,0.9,0.1,${zeros(9)}`, `IL_0000002,0.9,0.1,${zeros(9)}`, `IL_0000003,0.9,0.1,${zeros(9)}`]);
    expect(await problemsOf(twice)).toEqual(['row 2: lesion_id IL_0000001 already appears in row 1']);
  });
});
