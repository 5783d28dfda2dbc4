import type { BuildProgressSnapshot } from './build-progress.ts';

/** Work done so far in the current stage (or the step of its activity), in the unit it counts. */
interface StageCount {
  done: number;
  total: number;
  unit: string;
}

/** One snapshot as the parts a line shows, before it is laid out as plain text or as a bar. */
interface ProgressView {
  stage: string;
  /** the release writer's step, e.g. `step 2/7 stage images` */
  step?: string;
  /** what else the stage is doing: centres done, centres still retrieving */
  context: string[];
  count?: StageCount;
  etaSeconds?: number;
  /** activities being retried, and why */
  retrying: string[];
}

function stageCount({ build, centres, step }: BuildProgressSnapshot): StageCount | undefined {
  if (build.stage === 'ingest') {
    // Centres still retrieving do not know their image count yet; the total grows as they report it.
    return { done: centres.reduce((n, c) => n + c.imagesDone, 0), total: centres.reduce((n, c) => n + c.images, 0), unit: 'images' };
  }
  if (build.stage === 'concepts') return { done: build.conceptBatchesDone, total: build.conceptBatches, unit: 'concept batches' };
  if (step?.total !== undefined) return { done: step.done ?? 0, total: step.total, unit: step.unit ?? 'items' };
  return undefined;
}

const BAR_CELLS = 24;

/**
 * Turns successive progress snapshots into one line each: stage, counts, percentage and an ETA from
 * the rate since the stage (or the release writer's step) began. Keeps that start (by the caller's
 * clock) between calls. `format` gives plain lines for logs and pipes, `bar` a bar for a terminal.
 */
export class ProgressLine {
  private phase = '';
  private phaseStart = { at: 0, done: 0 };
  private restart = false;

  constructor(private readonly now: () => number = Date.now) {}

  format(snapshot: BuildProgressSnapshot): string {
    const view = this.view(snapshot);
    const parts = [...(view.step ? [view.step] : []), ...view.context];
    if (view.count && view.count.total > 0) {
      parts.push(`${view.count.done}/${view.count.total} ${view.count.unit} (${percent(view.count)}%)`);
      if (view.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(view.etaSeconds)}`);
    }
    parts.push(...view.retrying);
    return `[${view.stage}] ${parts.join(', ')}`.trimEnd();
  }

  /** The same as a bar, cut to `columns` characters so that a terminal redraws it in place. */
  bar(snapshot: BuildProgressSnapshot, columns: number): string {
    const view = this.view(snapshot);
    const parts = [`[${view.stage}]${view.step ? ` ${view.step}` : ''}`];
    if (view.count && view.count.total > 0) {
      const filled = Math.round((BAR_CELLS * Math.min(view.count.done, view.count.total)) / view.count.total);
      parts.push(`${'█'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${percent(view.count)}%`, `${view.count.done}/${view.count.total} ${view.count.unit}`);
      parts.push(view.etaSeconds === undefined ? 'ETA …' : `ETA ${formatSeconds(view.etaSeconds)}`);
    }
    const line = [parts.join(' '), ...view.context, ...view.retrying].join(' · ');
    return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
  }

  /**
   * Measures the rate from the next snapshot on: after the server came back, the time it was away
   * (and the work done meanwhile, reported at once) says nothing about how fast the rest goes.
   */
  restartRate(): void {
    this.restart = true;
  }

  private view(snapshot: BuildProgressSnapshot): ProgressView {
    const { build, step } = snapshot;
    const count = stageCount(snapshot);
    const phase = step ? `${build.stage}/${step.step}` : build.stage;
    if (phase !== this.phase || this.restart) {
      this.phase = phase;
      this.phaseStart = { at: this.now(), done: count?.done ?? 0 };
      this.restart = false;
    }
    const context: string[] = [];
    if (build.stage === 'ingest') {
      context.push(`centres ${build.centresDone}/${build.centres.length}`);
      const retrieving = snapshot.centres.filter((c) => c.step === 'retrieve' || c.step === 'parse').map((c) => c.centre);
      if (retrieving.length > 0) context.push(`retrieving ${retrieving.join(', ')}`);
    }
    // What is being retried, and why: a full or unwritable store is waited out, and the user should see it.
    const retrying = (snapshot.retrying ?? []).map((r) => `retrying ${r.activity} (attempt ${r.attempt}: ${r.cause.length > 120 ? `${r.cause.slice(0, 117)}...` : r.cause})`);
    return { stage: build.stage, step: step && `step ${step.index}/${step.steps} ${step.step}`, context, count, etaSeconds: count && this.etaSeconds(count), retrying };
  }

  /** Remaining work at the rate observed since the phase began; unknown until some work is done. */
  private etaSeconds(count: StageCount): number | undefined {
    const done = count.done - this.phaseStart.done;
    const elapsed = (this.now() - this.phaseStart.at) / 1000;
    if (done <= 0 || elapsed <= 0) return undefined;
    return ((count.total - count.done) * elapsed) / done;
  }
}

const percent = (count: StageCount) => Math.floor((100 * Math.min(count.done, count.total)) / count.total);

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.ceil(seconds - minutes * 60)} s`;
}
