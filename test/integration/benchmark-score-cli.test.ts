import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { groundTruthCsv } from '../../activities/release/release-csvs.ts';
import { folderStorage } from '../helpers/folder-storage.ts';
import { ScoreReport } from '../../schemas/benchmark-score.ts';
import { BENCHMARK_TRUTH_FILES, CLASSES } from '../../schemas/release.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';
import { writeBenchmarkRelease } from '../helpers/benchmark-release.ts';
import { image, lesion } from '../helpers/release-fixture.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');
const OTHER_CLASSES = 'AKIEC,BCC,BEN_OTH,BKL,DF,INF,MAL_OTH,SCCKA,VASC';

let root: string;
let config: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'milk-benchmark-cli-'));
  config = path.join(root, 'temporal.yml');
  writeFileSync(config, stringifyYaml({ ...parseYaml(readFileSync(REPO_CONFIG_FILE, 'utf8')), storage: { root: path.join(root, 'data') } }));
  // The benchmark's private ground truth as the release writes it: MEL, MEL, NV, NV.
  const storage = folderStorage(path.join(root, 'data'));
  const truthDir = storage.store.where(storage.layout.benchmarkTruth(''));
  mkdirSync(truthDir, { recursive: true });
  const lesions = ['Melanoma Invasive', 'Melanoma in situ', 'Nevus', 'Nevus'].map((d, i) => lesion(`IL_000000${i + 1}`, d));
  writeFileSync(path.join(truthDir, BENCHMARK_TRUTH_FILES.groundTruth), groundTruthCsv({ lesions }));
  // The release's description of the same lesions, for subgroups: lesions 3 and 4 from another centre.
  const described = lesions.map((l, i) => (i >= 2 ? { ...l, centre: 'brisbane' } : l));
  await writeBenchmarkRelease(storage.store.where(storage.layout.release), described, described.map((l, i) => image(`ISIC_000000${i + 1}`, l.lesion_id, 'dermoscopic')));
  // Lesion 2 (MEL) is predicted DF; MEL probabilities 0.8, 0.3 | 0.3, 0.1; NV 0.2, 0.2 | 0.7, 0.9.
  writeFileSync(path.join(root, 'predictions.csv'), [
    `lesion_id,MEL,NV,${OTHER_CLASSES}`,
    'IL_0000001,0.8,0.2,0,0,0,0,0,0,0,0,0',
    'IL_0000002,0.3,0.2,0,0,0,0,0.5,0,0,0,0',
    'IL_0000003,0.3,0.7,0,0,0,0,0,0,0,0,0',
    'IL_0000004,0.1,0.9,0,0,0,0,0,0,0,0,0',
  ].join('\n'));
  writeFileSync(path.join(root, 'bad-at-mel.csv'), [
    `lesion_id,MEL,NV,${OTHER_CLASSES}`,
    'IL_0000001,0.2,0.8,0,0,0,0,0,0,0,0,0',
    'IL_0000002,0.3,0.7,0,0,0,0,0,0,0,0,0',
    'IL_0000003,0.3,0.7,0,0,0,0,0,0,0,0,0',
    'IL_0000004,0.1,0.9,0,0,0,0,0,0,0,0,0',
  ].join('\n'));
  // A reader who read lesions 1 (MEL) and 3 (NV) only, one-hot, both right.
  writeFileSync(path.join(root, 'reader-subset.csv'), [`lesion_id,MEL,NV,${OTHER_CLASSES}`, 'IL_0000001,1,0,0,0,0,0,0,0,0,0,0', 'IL_0000003,0,1,0,0,0,0,0,0,0,0,0'].join('\n'));
  writeFileSync(path.join(root, 'bad.csv'), [`lesion_id,MEL,NV,${OTHER_CLASSES}`, 'IL_0000001,0.8,1.2,0,0,0,0,0,0,0,0,0', 'IL_0000005,0.8,0.2,0,0,0,0,0,0,0,0,0'].join('\n'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `milk benchmark score ...` as a user would; resolves with its exit code and output. */
async function milkScore(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [MILK, 'benchmark', 'score', ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

// By hand, each class at p > 0.5: MEL TP 1, FN 1 (Dice 2/3); NV TP 2 (Dice 1); DF's 0.5 does not pass.
// Arg-max: lesion 2 goes to DF, so MEL recall 1/2, NV 1. MEL AUC 3.5/4 (one tie at 0.3), NV AUC 1.
const expected = { overall: (2 / 3 + 1) / 2, balancedAccuracy: (1 / 2 + 2 / 2) / 2, macroAuc: (3.5 / 4 + 1) / 2 };

describe('milk benchmark score', () => {
  it('prints the headline, a row per class and the macro averages, scored against the ground truth under the storage root', async () => {
    const { code, stdout } = await milkScore(path.join(root, 'predictions.csv'), '-c', config, '--bootstrap', '0');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '4 lesions scored, 2 of 11 classes present; absent from the ground truth: AKIEC, BCC, BEN_OTH, BKL, DF, INF, MAL_OTH, SCCKA, VASC',
      `macro Dice (p > 0.5)  ${expected.overall.toFixed(4)}`,
      `balanced accuracy     ${expected.balancedAccuracy.toFixed(4)}`,
    ]);
    const row = (cls: string) => lines.find((l) => l.startsWith(`${cls} `))!.trim().split(/\s+/);
    expect(lines.find((l) => l.startsWith('class '))!.trim().split(/\s+/)).toEqual(['class', 'lesions', 'predicted', 'accuracy', 'sensitivity', 'specificity', 'dice', 'ppv', 'npv', 'auc', 'auc_sens_80', 'ap']);
    expect(row('MEL').slice(0, 10)).toEqual(['MEL', '2', '1', '0.7500', '0.5000', '1.0000', (2 / 3).toFixed(4), '1.0000', (2 / 3).toFixed(4), (3.5 / 4).toFixed(4)]);
    expect(row('DF')).toEqual(['DF', '0', '0', '1.0000', '-', '1.0000', '-', '1.0000', '1.0000', '-', '-', '-']);
    expect(row('macro')[5]).toBe(expected.overall.toFixed(4));
  });

  it('prints the report as JSON with the official field names with --json', async () => {
    const { code, stdout } = await milkScore(path.join(root, 'predictions.csv'), '-c', config, '--json');
    expect(code).toBe(0);
    const report = ScoreReport.parse(JSON.parse(stdout));
    expect(report.overall).toBeCloseTo(expected.overall, 15);
    expect(report.aggregate.balanced_accuracy).toBe(expected.balancedAccuracy);
    expect(report.macro_average.auc).toBe(expected.macroAuc);
    expect(report.per_category.dice.DF).toBeNull();
    expect(report.confusion_matrix.counts[CLASSES.indexOf('MEL')]![CLASSES.indexOf('DF')]).toBe(1);
  });

  it('adds bootstrap intervals, subgroups from the release, and a paired comparison with --compare', async () => {
    const html = path.join(root, 'score.html');
    const { code, stdout } = await milkScore(path.join(root, 'predictions.csv'), '-c', config, '--compare', path.join(root, 'bad-at-mel.csv'), '--bootstrap', '200', '--seed', '3', '--json', '--html', html);
    expect(code).toBe(0);
    // test/unit/benchmark-report-html.test.ts renders the page; here it is enough that --html wrote it.
    expect(readFileSync(html, 'utf8')).toMatch(/<section id="headline">[\s\S]*<section id="subgroups">[\s\S]*<section id="comparison">/);
    const report = ScoreReport.parse(JSON.parse(stdout));
    expect(report.intervals).toMatchObject({ resamples: 200, seed: 3, level: 0.95 });
    expect(report.intervals!.overall!.low).toBeLessThanOrEqual(report.overall!);
    expect(report.subgroups!.filter((s) => s.attribute === 'centre').map((s) => [s.value, s.lesions])).toEqual([['brisbane', 2], ['vienna', 2]]);
    // The other file misses both MEL lesions: MEL Dice 0, NV Dice 2·2/(2·2 + 2).
    expect(report.comparison).toMatchObject({ a: path.join(root, 'predictions.csv'), b: path.join(root, 'bad-at-mel.csv'), lesions: 4, resamples: 200, seed: 3 });
    expect(report.comparison!.difference).toBeCloseTo(expected.overall - (0 + 4 / 6) / 2, 15);
    const text = (await milkScore(path.join(root, 'predictions.csv'), '-c', config, '--compare', path.join(root, 'bad-at-mel.csv'), '--bootstrap', '200')).stdout;
    expect(text).toMatch(/^macro Dice \(p > 0\.5\)  0\.8333 \[\d\.\d{4} to \d\.\d{4}\]$/m);
    expect(text).toMatch(/^centre vienna +2 +1 +0\.6667 \[/m);
    expect(text).toMatch(/^paired comparison over 4 lesions: macro Dice .* = \+0\.5000 \(95% CI .*\), p = \d\.\d{4} \(paired permutation test, 200 permutations, seed 1\)$/m);
  });

  it('scores readers with --reader, each on the lesions they read, against the model on the same lesions', async () => {
    const { code, stdout } = await milkScore(path.join(root, 'predictions.csv'), '-c', config, '--bootstrap', '100', '--reader', `derm-1=${path.join(root, 'bad-at-mel.csv')}`, '--reader', `derm-2=${path.join(root, 'reader-subset.csv')}`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^readers \(each scored on the lesions they read; the model on the same lesions\)$/m);
    expect(stdout).toMatch(/^derm-1 +4 +0\.3333 \[/m);
    expect(stdout).toMatch(/^derm-2 +2 +1\.0000 \[/m);
    expect(stdout).toMatch(/^reader mean +0\.6667 /m);
    expect(stdout).toContain('derm-2 read 2 of 4 lesions; not read 2: IL_0000002, IL_0000004');
  });

  it('scores against another ground truth with --truth', async () => {
    const truth = path.join(root, 'all-nevus-truth.csv');
    writeFileSync(truth, groundTruthCsv({ lesions: [1, 2, 3, 4].map((n) => lesion(`IL_000000${n}`, 'Nevus')) }));
    const report = ScoreReport.parse(JSON.parse((await milkScore(path.join(root, 'predictions.csv'), '--truth', truth, '--json')).stdout));
    // Lesions 3 and 4 are predicted NV: recall 2/4.
    expect(report).toMatchObject({ aggregate: { balanced_accuracy: 2 / 4 }, macro_average: { auc: null }, absent_classes: expect.arrayContaining(['MEL']) });
  });

  it('exits 1 with one line for an empty predictions file', async () => {
    const empty = path.join(root, 'empty.csv');
    writeFileSync(empty, '');
    expect(await milkScore(empty, '-c', config)).toEqual({ code: 1, stdout: '', stderr: `milk: ${empty}: the file is empty\n` });
  });

  it('exits 1 and lists every problem of an invalid predictions file', async () => {
    const bad = path.join(root, 'bad.csv');
    const { code, stdout, stderr } = await milkScore(bad, '-c', config);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `milk: ${bad} has 5 problem(s): row 1: NV: 1.2 is not in [0, 1]; row 2: lesion_id IL_0000005 is not a lesion of the benchmark; ` +
        'lesion IL_0000002 has no prediction row; lesion IL_0000003 has no prediction row; lesion IL_0000004 has no prediction row\n',
    );
  });
});
