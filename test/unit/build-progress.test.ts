import { describe, expect, it } from 'vitest';
import { BuildProgressTracker, type BuildProgressSnapshot } from '../../scripts/progress/build-progress.ts';
import { ProgressLine } from '../../scripts/progress/progress-line.ts';

const snapshot = (stage: string, centres: BuildProgressSnapshot['centres'], extra: Partial<BuildProgressSnapshot['build']> = {}): BuildProgressSnapshot => ({
  build: { stage, centres: ['vienna', 'graz'], centresDone: 0, conceptBatchesDone: 0, conceptBatches: 0, ...extra },
  centres,
});
const vienna = (imagesDone: number, step: 'retrieve' | 'parse' | 'images' | 'done' = 'images') => ({ centre: 'vienna', step, images: 600, imagesDone });
const graz = (imagesDone: number, step: 'retrieve' | 'parse' | 'images' | 'done' = 'images') => ({ centre: 'graz', step, images: 400, imagesDone });

describe('BuildProgressTracker.merge', () => {
  it('never goes backwards: a centre that did not answer keeps its counts, counts and steps only grow', () => {
    const tracker = new BuildProgressTracker('build-x', 'run-1');
    const line = new ProgressLine(() => 0);
    expect(line.format(tracker.merge(snapshot('ingest', [vienna(300), graz(100)])))).toBe('[ingest] centres 0/2, 400/1000 images (40%)');
    // after a reconnect, graz's child does not answer yet and vienna answers from an older replay
    expect(line.format(tracker.merge(snapshot('ingest', [vienna(250, 'parse')])))).toBe('[ingest] centres 0/2, 400/1000 images (40%)');
    expect(tracker.current!.centres).toEqual([vienna(300), graz(100)]);
    expect(line.format(tracker.merge(snapshot('ingest', [vienna(600, 'done'), graz(150)], { centresDone: 1 })))).toBe('[ingest] centres 1/2, 750/1000 images (75%)');
  });

  it('keeps the later stage and its counts when an answer comes from an earlier one', () => {
    const tracker = new BuildProgressTracker('build-x', 'run-1');
    tracker.merge(snapshot('concepts', [], { centresDone: 2, conceptBatches: 8, conceptBatchesDone: 3 }));
    expect(tracker.merge(snapshot('assemble', [], { centresDone: 2 })).build).toEqual({ stage: 'concepts', centres: ['vienna', 'graz'], centresDone: 2, conceptBatches: 8, conceptBatchesDone: 3 });
    expect(tracker.merge(snapshot('release', [], { centresDone: 2, conceptBatches: 8, conceptBatchesDone: 8 })).build.stage).toBe('release');
  });
});

describe('ProgressLine.restartRate', () => {
  it('estimates from the rate after a reconnection, not over the outage', () => {
    let now = 0;
    const line = new ProgressLine(() => now);
    const ingest = (done: number) => snapshot('ingest', [vienna(done), graz(0)]);
    expect(line.format(ingest(0))).toBe('[ingest] centres 0/2, 0/1000 images (0%)');
    now = 10_000;
    expect(line.format(ingest(50))).toBe('[ingest] centres 0/2, 50/1000 images (5%), ETA 3 min 10 s');
    // a 60 s outage; the first answer after it counts what was done meanwhile
    line.restartRate();
    now = 70_000;
    expect(line.format(ingest(100))).toBe('[ingest] centres 0/2, 100/1000 images (10%)');
    now = 80_000;
    expect(line.format(ingest(200))).toBe('[ingest] centres 0/2, 200/1000 images (20%), ETA 1 min 20 s');
  });
});
