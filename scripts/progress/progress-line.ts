import type { BuildProgressSnapshot } from './build-progress.ts';

/** Work done so far in the current stage, in the unit that stage counts. */
interface StageCount {
  done: number;
  total: number;
  unit: string;
}

function stageCount({ build, centres }: BuildProgressSnapshot): StageCount | undefined {
  if (build.stage === 'ingest') {
    // Centres still retrieving do not know their image count yet; the total grows as they report it.
    return { done: centres.reduce((n, c) => n + c.imagesDone, 0), total: centres.reduce((n, c) => n + c.images, 0), unit: 'images' };
  }
  if (build.stage === 'concepts') return { done: build.conceptBatchesDone, total: build.conceptBatches, unit: 'concept batches' };
  return undefined;
}

/**
 * Turns successive progress snapshots into one line each: stage, counts, percentage and an ETA from
 * the rate since the stage began. Keeps the stage's start (by the caller's clock) between calls.
 */
export class ProgressLine {
  private stage = '';
  private stageStart = { at: 0, done: 0 };
  private restart = false;

  constructor(private readonly now: () => number = Date.now) {}

  format(snapshot: BuildProgressSnapshot): string {
    const { build } = snapshot;
    const count = stageCount(snapshot);
    if (build.stage !== this.stage || this.restart) {
      this.stage = build.stage;
      this.stageStart = { at: this.now(), done: count?.done ?? 0 };
      this.restart = false;
    }
    const parts: string[] = [];
    if (build.stage === 'ingest') {
      parts.push(`centres ${build.centresDone}/${build.centres.length}`);
      const retrieving = snapshot.centres.filter((c) => c.step === 'retrieve' || c.step === 'parse').map((c) => c.centre);
      if (retrieving.length > 0) parts.push(`retrieving ${retrieving.join(', ')}`);
    }
    if (count && count.total > 0) {
      parts.push(`${count.done}/${count.total} ${count.unit} (${Math.floor((100 * count.done) / count.total)}%)`);
      const eta = this.etaSeconds(count);
      if (eta !== undefined) parts.push(`ETA ${formatSeconds(eta)}`);
    }
    // What is being retried, and why: a full or unwritable store is waited out, and the user should see it.
    for (const r of snapshot.retrying ?? []) parts.push(`retrying ${r.activity} (attempt ${r.attempt}: ${r.cause.length > 120 ? `${r.cause.slice(0, 117)}...` : r.cause})`);
    return `[${build.stage}] ${parts.join(', ')}`.trimEnd();
  }

  /**
   * Measures the rate from the next snapshot on: after the server came back, the time it was away
   * (and the work done meanwhile, reported at once) says nothing about how fast the rest goes.
   */
  restartRate(): void {
    this.restart = true;
  }

  /** Remaining work at the rate observed since the stage began; unknown until some work is done. */
  private etaSeconds(count: StageCount): number | undefined {
    const done = count.done - this.stageStart.done;
    const elapsed = (this.now() - this.stageStart.at) / 1000;
    if (done <= 0 || elapsed <= 0) return undefined;
    return ((count.total - count.done) * elapsed) / done;
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.ceil(seconds - minutes * 60)} s`;
}
