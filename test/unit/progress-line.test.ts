import { describe, expect, it } from 'vitest';
import type { BuildProgressSnapshot } from '../../scripts/progress/build-progress.ts';
import { PassThrough } from 'node:stream';
import { ProgressLine } from '../../scripts/progress/progress-line.ts';
import { ProgressOutput } from '../../scripts/progress/progress-output.ts';

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

  it('counts within the release writer\'s step and restarts the rate at each step', () => {
    let now = 0;
    const line = new ProgressLine(() => now);
    const release = (step: string, index: number, done?: number): BuildProgressSnapshot => ({
      build: build('release', { centresDone: 2 }),
      centres: [],
      step: { step, index, steps: 7, ...(done === undefined ? {} : { done, total: 1000, unit: 'images' }) },
    });
    expect(line.format(release('read inputs', 1))).toBe('[release] step 1/7 read inputs');
    now = 5_000;
    expect(line.format(release('stage images', 2, 0))).toBe('[release] step 2/7 stage images, 0/1000 images (0%)');
    now = 9_000;
    // 200 images in the 4 s since the step began (the 5 s reading inputs do not count): 800 left take 16 s
    expect(line.format(release('stage images', 2, 200))).toBe('[release] step 2/7 stage images, 200/1000 images (20%), ETA 16 s');
  });
});

describe('ProgressLine.bar', () => {
  it('draws the share done as a bar with the ETA, within the terminal width', () => {
    let now = 0;
    const line = new ProgressLine(() => now);
    const snapshot = (done: number): BuildProgressSnapshot => ({ build: build('concepts', { centresDone: 2, conceptBatches: 8, conceptBatchesDone: done }), centres: [] });
    expect(line.bar(snapshot(0), 200)).toBe(`[concepts] ${'░'.repeat(24)} 0% 0/8 concept batches ETA …`);
    now = 4_000;
    expect(line.bar(snapshot(2), 200)).toBe(`[concepts] ${'█'.repeat(6)}${'░'.repeat(18)} 25% 2/8 concept batches ETA 12 s`);
    const release: BuildProgressSnapshot = { build: build('release', { centresDone: 2 }), centres: [], step: { step: 'stage images', index: 2, steps: 7, done: 0, total: 10, unit: 'images' } };
    expect(line.bar(release, 200)).toBe(`[release] step 2/7 stage images ${'░'.repeat(24)} 0% 0/10 images ETA …`);
    const narrow = line.bar(snapshot(2), 30);
    expect(narrow).toHaveLength(30);
    expect(narrow.endsWith('…')).toBe(true);
  });
});

describe('ProgressOutput', () => {
  const stream = (tty: boolean) => {
    const out = Object.assign(new PassThrough(), { isTTY: tty, columns: 80 }) as unknown as NodeJS.WriteStream & PassThrough;
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { out, text: () => text };
  };
  const concepts = (done: number): BuildProgressSnapshot => ({ build: build('concepts', { centresDone: 2, conceptBatches: 4, conceptBatchesDone: done }), centres: [] });

  it('writes a plain line per change where stderr is not a terminal (logs, pipes, CI)', () => {
    const { out, text } = stream(false);
    const output = new ProgressOutput(out);
    output.progress(concepts(1));
    output.progress(concepts(1));
    output.notice('server back');
    output.progress(concepts(2));
    output.end();
    expect(text().split('\n')).toEqual(['[concepts] 1/4 concept batches (25%)', 'server back', expect.stringMatching(/^\[concepts\] 2\/4 concept batches \(50%\)/), '']);
    expect(text()).not.toContain('\r');
  });

  it('redraws one bar in place on a terminal, prints notices above it and leaves a clean line at the end', () => {
    const { out, text } = stream(true);
    const output = new ProgressOutput(out);
    output.progress(concepts(1));
    output.notice('server back');
    output.progress(concepts(2));
    output.end();
    const clear = '\r\x1b[2K';
    expect(text().startsWith(`${clear}[concepts] ${'█'.repeat(6)}`)).toBe(true);
    expect(text()).toContain(`${clear}server back\n${clear}[concepts] ${'█'.repeat(12)}`);
    expect(text().endsWith(clear)).toBe(true);
    expect(text().split('\n')).toHaveLength(2);
  });
});
