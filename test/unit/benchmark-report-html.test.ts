import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classRocCurves } from '../../activities/benchmark/ranking-metrics.ts';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { scoreReportHtml } from '../../activities/benchmark/report-html.ts';
import { buildScoreReport } from '../../activities/benchmark/score-report.ts';
import { toCases } from '../../activities/benchmark/scoring-cases.ts';
import type { LesionAttributes, ScoreReport } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { PARITY_FIXTURES } from '../../scripts/benchmark-parity/parity.ts';
import { CHROMIUM, CHROMIUM_MISSING, renderedDom } from '../helpers/chromium.ts';

/** Reports what the rendered page holds, laid out: sections, table rows, heat-map cells, ROC curves with their drawn size. */
const MEASURE = `<script>
addEventListener('load', () => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { width: r.width, height: r.height }; };
  const json = JSON.stringify({
    sections: [...document.querySelectorAll('section')].map((s) => s.id),
    headline: document.querySelector('.headline').innerText,
    classRows: [...document.querySelectorAll('#per-class tr[data-class]')].map((r) => [...r.cells].map((c) => c.innerText)),
    heatMap: { box: box(document.querySelector('#confusion svg')), cells: [...document.querySelectorAll('#confusion rect[data-count]')].map((r) => ({ t: r.dataset.true, p: r.dataset.predicted, n: Number(r.dataset.count), fill: r.getAttribute('fill') })) },
    rocs: [...document.querySelectorAll('figure.roc')].map((f) => ({ cls: f.dataset.class, points: Number(f.dataset.points), box: f.querySelector('polyline') ? box(f.querySelector('polyline')) : null })),
    subgroups: [...document.querySelectorAll('#subgroups tbody tr')].map((r) => [...r.cells].map((c) => c.innerText)),
    readers: [...document.querySelectorAll('#readers tbody tr')].map((r) => r.cells[0].innerText),
    comparison: document.querySelector('#comparison')?.innerText ?? '',
  });
  document.body.dataset.measured = btoa(String.fromCharCode(...new TextEncoder().encode(json)));
});
</script>`;

interface Measured {
  sections: string[];
  headline: string;
  classRows: string[][];
  heatMap: { box: { width: number; height: number }; cells: { t: string; p: string; n: number; fill: string }[] };
  rocs: { cls: string; points: number; box: { width: number; height: number } | null }[];
  subgroups: string[][];
  readers: string[];
  comparison: string;
}

const fixture = (name: string, file: string) => path.join(PARITY_FIXTURES, name, file);
let dir: string;
let html: string;
let report: ScoreReport;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-score-html-'));
  const truth = await readGroundTruth(fixture('strong-noisy', 'truth.csv'));
  const predictions = await readPredictions(fixture('strong-noisy', 'predictions.csv'), truth);
  // Two centres by lesion parity; every other attribute the same.
  const attributes: LesionAttributes[] = truth.map((t, i) => ({ lesion_id: t.lesion_id, centre: i % 2 ? 'vienna' : 'brisbane', skin_tone_class: 2, sex: 'female', age_approx: 50, image_types: ['clinical: close-up', 'dermoscopic'] }));
  report = buildScoreReport({
    truth,
    predictions: { name: 'strong-noisy.csv', rows: predictions },
    attributes,
    compare: { name: 'weak.csv', rows: await readPredictions(fixture('weak', 'predictions.csv'), truth) },
    readers: [{ name: 'derm-1', file: 'capped.csv', rows: (await readPredictions(fixture('capped', 'predictions.csv'), truth)).slice(0, 120) }],
    bootstrap: { resamples: 50, seed: 1 },
  });
  const cases = toCases(truth, predictions);
  html = scoreReportHtml(report, classRocCurves(cases.truth, cases.probabilities, CLASSES.length), 'MILK10k benchmark: strong-noisy.csv');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scoreReportHtml', () => {
  it('is self-contained: no scripts, stylesheets, fonts or images to fetch', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc=/i);
  });
});

describe.skipIf(!CHROMIUM)(`score report rendered in Chromium${CHROMIUM_MISSING}`, () => {
  let measured: Measured;
  beforeAll(async () => {
    const file = path.join(dir, 'score.html');
    writeFileSync(file, html.replace('</body>', `${MEASURE}</body>`));
    const encoded = /data-measured="([A-Za-z0-9+/=]+)"/.exec(await renderedDom(file))?.[1];
    if (!encoded) throw new Error('the page did not report its layout');
    measured = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as Measured;
  });

  it('has every section, in order', () => {
    expect(measured.sections).toEqual(['headline', 'per-class', 'confusion', 'roc', 'subgroups', 'comparison', 'readers']);
  });

  it('shows the headline with its interval', () => {
    const ci = report.intervals!.overall!;
    expect(measured.headline).toBe(`${report.overall!.toFixed(4)} [${ci.low.toFixed(4)} – ${ci.high.toFixed(4)}]`);
  });

  it('has a row per class and the macro row, with every official metric', () => {
    expect(measured.classRows.map((r) => r[0])).toEqual([...CLASSES, 'macro']);
    const mel = measured.classRows.find((r) => r[0] === 'MEL')!;
    expect(mel.slice(3, 12)).toEqual(['accuracy', 'sensitivity', 'specificity', 'dice', 'ppv', 'npv', 'auc', 'auc_sens_80', 'ap'].map((m) => report.per_category[m as 'dice'].MEL!.toFixed(4)));
  });

  it('draws the confusion matrix as a heat map: a shaded cell per true and predicted class, counts summing to the lesions', () => {
    expect(measured.heatMap.box.width).toBeGreaterThan(300);
    expect(measured.heatMap.cells).toHaveLength(CLASSES.length * (CLASSES.length + 1));
    expect(measured.heatMap.cells.reduce((a, c) => a + c.n, 0)).toBe(report.lesions);
    const diagonal = measured.heatMap.cells.find((c) => c.t === 'BCC' && c.p === 'BCC')!;
    expect(diagonal.n).toBe(report.confusion_matrix.counts[CLASSES.indexOf('BCC')]![CLASSES.indexOf('BCC')]);
    expect(new Set(measured.heatMap.cells.map((c) => c.fill)).size).toBeGreaterThan(3);
  });

  it('draws a ROC curve for every class', () => {
    expect(measured.rocs.map((r) => r.cls)).toEqual([...CLASSES]);
    for (const roc of measured.rocs) {
      expect(roc.points, roc.cls).toBeGreaterThan(3);
      expect(roc.box!.width, roc.cls).toBeGreaterThan(50);
      expect(roc.box!.height, roc.cls).toBeGreaterThan(50);
    }
  });

  it('lists the subgroups with their intervals, the comparison and the reader study', () => {
    expect(measured.subgroups.map((r) => r.slice(0, 3))).toEqual(report.subgroups!.map((s) => [s.attribute, s.value, String(s.lesions)]));
    expect(measured.subgroups[0]![4]).toMatch(/^\d\.\d{4} \[\d\.\d{4} – \d\.\d{4}\]$/);
    expect(measured.comparison).toContain('a = strong-noisy.csv, b = weak.csv');
    expect(measured.readers).toEqual(['derm-1 (read 120 of 300)', 'model vs reader mean']);
  });
});
