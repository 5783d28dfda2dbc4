import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { bootstrapIntervals, percentileInterval, resample } from '../../activities/benchmark/bootstrap.ts';
import { comparePaired } from '../../activities/benchmark/paired-comparison.ts';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { rankLesions, scoreCases } from '../../activities/benchmark/score.ts';
import { pickCases, toCases, type ScoringCases } from '../../activities/benchmark/scoring-cases.ts';
import { seededRandom } from '../../activities/benchmark/seeded-random.ts';
import { MetricIntervals } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { PARITY_FIXTURES } from '../../scripts/benchmark-parity/parity.ts';

const MEL = CLASSES.indexOf('MEL');
const NV = CLASSES.indexOf('NV');
const BCC = CLASSES.indexOf('BCC');

/** n lesions cycling MEL, NV, BCC; `correct(i)` says whether lesion i's prediction names its class (else the next one), at 0.8. */
function casesOf(n: number, correct: (i: number) => boolean): ScoringCases {
  const truth = Array.from({ length: n }, (_, i) => [MEL, NV, BCC][i % 3]!);
  return {
    lesionIds: truth.map((_, i) => `IL_${String(i + 1).padStart(7, '0')}`),
    truth,
    probabilities: truth.map((t, i) => CLASSES.map((_, k) => (k === (correct(i) ? t : [NV, BCC, MEL][[MEL, NV, BCC].indexOf(t)]) ? 0.8 : 0.02))),
  };
}

describe('percentileInterval', () => {
  it('interpolates between order statistics as numpy.percentile does', () => {
    // numpy.percentile(range(1, 11), [2.5, 97.5]) = [1.225, 9.775]
    const interval = percentileInterval([10, 3, 1, 2, 4, 5, 6, 7, 8, 9])!;
    expect(interval.low).toBeCloseTo(1.225, 12);
    expect(interval.high).toBeCloseTo(9.775, 12);
    expect(percentileInterval([])).toBeNull();
  });
});

describe('bootstrapIntervals', () => {
  const cases = casesOf(90, (i) => i % 5 !== 0);

  it('is reproducible from its seed, and a different seed draws different resamples', () => {
    const first = bootstrapIntervals(cases, { resamples: 200, seed: 7 });
    expect(MetricIntervals.parse(first)).toEqual(first);
    expect(bootstrapIntervals(cases, { resamples: 200, seed: 7 })).toEqual(first);
    expect(bootstrapIntervals(cases, { resamples: 200, seed: 8 }).overall).not.toEqual(first.overall);
  });

  it('brackets each point estimate, and is a single point where predictions are perfect', () => {
    const intervals = bootstrapIntervals(cases, { resamples: 300, seed: 1 });
    const point = scoreCases(cases);
    expect(intervals.overall!.low).toBeLessThan(point.overall!);
    expect(intervals.overall!.high).toBeGreaterThan(point.overall!);
    expect(intervals.per_category.dice.MEL!.low).toBeLessThan(point.per_category.dice.MEL!);
    // Absent from the ground truth, DF's Dice is undefined in every resample: no interval.
    expect(intervals.per_category.dice.DF).toBeNull();
    const perfect = bootstrapIntervals(casesOf(30, () => true), { resamples: 100, seed: 1 });
    expect(perfect.overall).toEqual({ low: 1, high: 1 });
    expect(perfect.aggregate.balanced_accuracy).toEqual({ low: 1, high: 1 });
  });

  it('draws uniformly: the seeded generator covers [0, 1) evenly', () => {
    const random = seededRandom(42);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) bins[Math.floor(random() * 10)]!++;
    for (const count of bins) expect(Math.abs(count - 1000)).toBeLessThan(100);
  });
});

describe('scoring a resample by counts', () => {
  it('gives exactly what scoring the drawn lesions does, ties and undrawn lesions included', async () => {
    const folder = path.join(PARITY_FIXTURES, 'ties');
    const truth = await readGroundTruth(path.join(folder, 'truth.csv'));
    const cases = toCases(truth, await readPredictions(path.join(folder, 'predictions.csv'), truth));
    const random = seededRandom(5);
    const rankings = rankLesions(cases);
    for (let r = 0; r < 5; r++) {
      const drawn = resample(cases.truth.length, random);
      const weights = new Array<number>(cases.truth.length).fill(0);
      for (const i of drawn) weights[i]!++;
      expect(weights.filter((w) => w === 0).length).toBeGreaterThan(50);
      expect(scoreCases(cases, { weights, rankings })).toEqual(scoreCases(pickCases(cases, drawn)));
    }
  });
});

describe('comparePaired', () => {
  const better = casesOf(120, (i) => i % 10 !== 0);
  const worse = casesOf(120, (i) => i % 2 === 0);

  it('finds no difference between a file and itself: difference 0, interval 0 to 0, p = 1', () => {
    const c = comparePaired([{ a: better, b: better }], { a: 'x.csv', b: 'x.csv' }, { resamples: 200, seed: 1 });
    expect(c).toMatchObject({ lesions: 120, difference: 0, interval: { low: 0, high: 0 }, p_value: 1 });
  });

  it('finds a clear difference: interval above 0, p at its floor 1/(permutations + 1)', () => {
    const c = comparePaired([{ a: better, b: worse }], { a: 'better.csv', b: 'worse.csv' }, { resamples: 200, seed: 1 });
    expect(c.difference).toBeCloseTo(scoreCases(better).overall! - scoreCases(worse).overall!, 15);
    expect(c.interval!.low).toBeGreaterThan(0);
    expect(c.p_value).toBe(1 / 201);
    // Swapping the two sides negates the difference.
    expect(comparePaired([{ a: worse, b: better }], { a: 'worse.csv', b: 'better.csv' }, { resamples: 200, seed: 1 }).difference).toBeCloseTo(-c.difference, 15);
  });

  it('gives a large p-value to two models that differ only by chance', () => {
    // Both get 4 in 5 right, on different lesions.
    const a = casesOf(150, (i) => i % 5 !== 0);
    const b = casesOf(150, (i) => i % 5 !== 1);
    expect(comparePaired([{ a, b }], { a: 'a', b: 'b' }, { resamples: 300, seed: 1 }).p_value).toBeGreaterThan(0.5);
  });
});
