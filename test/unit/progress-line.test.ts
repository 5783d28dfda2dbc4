import { describe, expect, it } from 'vitest';
import type { BuildProgressSnapshot } from '../../scripts/progress/build-progress.ts';
import { ProgressLine } from '../../scripts/progress/progress-line.ts';

const build = (stage: string, extra: Partial<BuildProgressSnapshot['build']> = {}): BuildProgressSnapshot['build'] => ({
  stage,
  centres: ['vienna', 'graz'],
  centresDone: 0,
  conceptBatchesDone: 0,
  conceptBatches: 0,
  ...extra,
});

describe('ProgressLine', () => {
  it('sums the centre children and estimates the time left from the rate since the stage began', () => {
    let now = 0;
    const line = new ProgressLine(() => now);
    const ingest = (viennaDone: number, grazDone: number): BuildProgressSnapshot => ({
      build: build('ingest'),
      centres: [
        { centre: 'vienna', step: 'images', images: 600, imagesDone: viennaDone },
        { centre: 'graz', step: 'images', images: 400, imagesDone: grazDone },
      ],
    });
    expect(line.format(ingest(0, 0))).toBe('[ingest] centres 0/2, 0/1000 images (0%)');
    now = 10_000;
    // 250 images in 10 s: 750 left take 30 s
    expect(line.format(ingest(150, 100))).toBe('[ingest] centres 0/2, 250/1000 images (25%), ETA 30 s');
    now = 20_000;
    expect(line.format(ingest(300, 200))).toBe('[ingest] centres 0/2, 500/1000 images (50%), ETA 20 s');
  });

  it('shows what is being retried and why, so a user waiting out a full disk sees the cause', () => {
    const line = new ProgressLine(() => 0);
    const snapshot: BuildProgressSnapshot = {
      build: build('release', { centresDone: 2 }),
      centres: [],
      retrying: [{ activity: 'writeRelease', attempt: 3, cause: "ENOSPC: no space left on device, write '/srv/milk/work/images/ab/abc.jpg'" }],
    };
    expect(line.format(snapshot)).toBe("[release] retrying writeRelease (attempt 3: ENOSPC: no space left on device, write '/srv/milk/work/images/ab/abc.jpg')");
  });

  it('names the centres still retrieving and restarts the rate when the stage changes', () => {
    let now = 0;
    const line = new ProgressLine(() => now);
    expect(line.format({ build: build('ingest'), centres: [{ centre: 'graz', step: 'retrieve', images: 0, imagesDone: 0 }] })).toBe('[ingest] centres 0/2, retrieving graz');
    now = 50_000;
    expect(line.format({ build: build('concepts', { centresDone: 2, conceptBatches: 8 }), centres: [] })).toBe('[concepts] 0/8 concept batches (0%)');
    now = 52_000;
    expect(line.format({ build: build('concepts', { centresDone: 2, conceptBatches: 8, conceptBatchesDone: 2 }), centres: [] })).toBe('[concepts] 2/8 concept batches (25%), ETA 6 s');
    now = 200_000;
    expect(line.format({ build: build('concepts', { centresDone: 2, conceptBatches: 8, conceptBatchesDone: 4 }), centres: [] })).toBe('[concepts] 4/8 concept batches (50%), ETA 2 min 30 s');
  });
});
