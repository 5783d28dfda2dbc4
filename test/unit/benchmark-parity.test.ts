import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLASS_METRICS } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { PARITY_FIXTURES, parityCases, scoreFixture } from '../../scripts/benchmark-parity/parity.ts';

/**
 * Parity with the official ISIC scorer: each fixture folder holds a truth and a predictions CSV and
 * what isic-challenge-scoring (`-o json classification -m dice`) printed for them, written by
 * scripts/benchmark-parity/generate.py.
 */
describe('parity with the official ISIC scorer', () => {
  it('has the fixtures the issue asks for', () => {
    expect(parityCases()).toEqual(expect.arrayContaining(['perfect', 'uniform', 'random', 'ties', 'capped', 'strong-noisy', 'weak', 'rare-classes', 'image-ids']));
  });

  it('covers what the fixtures are named for: tied top probabilities, values on the threshold, capped classes', async () => {
    const rows = readFileSync(path.join(PARITY_FIXTURES, 'ties', 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').slice(1).map(Number));
    expect(rows.filter((p) => p.filter((x) => x === Math.max(...p)).length > 1).length).toBeGreaterThan(20);
    expect(rows.flat().filter((x) => x === 0.5).length).toBeGreaterThan(20);
    const { official } = await scoreFixture('capped');
    for (const cls of ['BCC', 'BKL', 'MEL', 'NV']) {
      expect(official.get(`per_category.dice.${cls}`)).toBe(0);
      expect(official.get(`per_category.auc.${cls}`)).toBeGreaterThan(0.8);
    }
  });

  it.each(parityCases())('%s: every official metric, to 1e-9', async (name) => {
    const { official, ours } = await scoreFixture(name);
    // The same figures under the same names: nine metrics for each of the eleven classes, their means, the headline and balanced accuracy.
    expect([...ours.keys()].sort()).toEqual([...official.keys()].sort());
    expect(official.size).toBe(CLASS_METRICS.length * (CLASSES.length + 1) + 3);
    const off = [...official].filter(([key, value]) => !(Math.abs(ours.get(key)! - value!) <= 1e-9));
    expect(off.map(([key, value]) => `${key}: official ${value}, ours ${ours.get(key)}`)).toEqual([]);
  });
});
