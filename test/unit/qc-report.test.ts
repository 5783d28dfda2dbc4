import { describe, expect, it } from 'vitest';
import { qcReportHtml, type ReportImage } from '../../activities/qc/qc-report.ts';
import { scoreHistogram } from '../../activities/qc/score-histogram.ts';
import { QC_CHECKS } from '../../schemas/qc-checks.ts';
import type { QcScores } from '../../schemas/records.ts';

const scores = (extra: Partial<QcScores>): QcScores => ({
  width: 600, height: 450, meanLuma: 140, sharpness: 60, sharpnessRatio: 2.5, phash: '0000000000000000', pixelSha256: 'a'.repeat(64),
  dark: 0.9, light: 0.5, lowInformation: 0.7, grayscale: 0, oddAspectRatio: 0.75, colourCast: 20, modality: 0.9, ...extra,
});
const sha = (c: string) => c.repeat(64);

describe('scoreHistogram', () => {
  it('draws a range like blur (6 to 7,937) on a log scale with decade ticks, and labels the threshold and axes', () => {
    const svg = scoreHistogram([6, 40, 80, 300, 1200, 7937], { label: 'blurry score (luma levels²)', threshold: 5, action: 'exclude' });
    expect(svg).toContain('data-scale="log"');
    for (const tick of ['>10<', '>100<', '>1000<']) expect(svg).toContain(tick);
    expect(svg).toContain('threshold 5 (exclude)');
    expect(svg).toContain('blurry score (luma levels²), log scale');
    expect(svg).toContain('>images<');
  });

  it('keeps a score bounded by 0 and 1 linear, however small its smallest positive value', () => {
    expect(scoreHistogram([0, 0.0001, 0.5, 1], { label: 'grayscale score', threshold: 0.99, action: 'exclude', linear: true })).toContain('data-scale="linear"');
  });

  it('keeps a narrow range linear, with the largest bin count on the y axis', () => {
    const svg = scoreHistogram([0.4, 0.5, 0.5, 0.5, 0.9], { label: 'too-dark score', threshold: 0.32, action: 'exclude' });
    expect(svg).toContain('data-scale="linear"');
    expect(svg).toMatch(/text-anchor="end">3<\/text>/);
  });
});

describe('qcReportHtml', () => {
  const images: ReportImage[] = [
    { deidSha256: sha('a'), centre: 'vienna', imageType: 'dermoscopic', scores: scores({ sharpness: 2, phash: '00000000000000ff' }) },
    { deidSha256: sha('b'), centre: 'porto', imageType: 'dermoscopic', scores: scores({ phash: '000000000000000f' }) },
  ];
  const input = {
    title: 'QC report: test',
    checks: QC_CHECKS,
    settings: {},
    images,
    flags: [{ centre: 'vienna', deidSha256: sha('a'), imageType: 'dermoscopic', check: 'blurry', action: 'exclude' as const, isicId: 'ISIC_0000001' }],
    duplicates: [{ members: [sha('a'), sha('b')], kind: 'near' as const, maxDistance: 4, minScore: 0.93, pairs: [{ a: sha('a'), b: sha('b'), distance: 4, score: 0.93, mirrored: false }], crossLesion: true, isicIds: ['ISIC_0000001', 'ISIC_0000002'] }],
    thumbnails: new Map<string, Buffer>(),
    isicIds: new Map([[sha('a'), ['ISIC_0000001']], [sha('b'), ['ISIC_0000002']]]),
  };

  it('labels a flagged tile with its ISIC id, centre and score, and a confirmed duplicate pair with its pHash distance and aligned correlation', () => {
    const html = qcReportHtml(input);
    expect(html).toMatch(/data-isic-id="ISIC_0000001"[^]*?<div class="id">ISIC_0000001<\/div><div>vienna · dermoscopic · aaaaaaaa<\/div><div>blurry: 2 luma levels² · exclude<\/div>/);
    expect(html).toMatch(/<td>ISIC_0000001<\/td><td>ISIC_0000002<\/td><td class="n">4<\/td><td class="n">0.930<\/td>/);
    expect(html).toContain('aligned correlation ≥ 0.93');
    expect(html).not.toContain('<button');
  });

  it('adds decision controls for a reviewer, names escaped', () => {
    const html = qcReportHtml({ ...input, reviewer: 'Dr <b>' });
    expect(html).toContain('Reviewing as <b>Dr &#60;b&#62;</b>');
    expect(html).toContain('data-decision="not-a-duplicate"');
  });
});
