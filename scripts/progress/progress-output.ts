import type { BuildProgressSnapshot } from './build-progress.ts';
import { ProgressLine } from './progress-line.ts';

/**
 * Where a build's progress goes: on a terminal one bar redrawn in place (notices print above it);
 * anywhere else (a log, a pipe, CI) a plain line each time the text changes.
 */
export class ProgressOutput {
  private readonly line = new ProgressLine();
  private lastPlain = '';
  private barShown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  progress(snapshot: BuildProgressSnapshot): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.line.bar(snapshot, this.stream.columns || 100)}`);
      this.barShown = true;
      return;
    }
    const text = this.line.format(snapshot);
    if (text !== this.lastPlain) this.stream.write(`${text}\n`);
    this.lastPlain = text;
  }

  /** A line that stays (the UI link, an outage notice), above the bar on a terminal. */
  notice(text: string): void {
    this.clearBar();
    this.stream.write(`${text}\n`);
  }

  restartRate(): void {
    this.line.restartRate();
  }

  /** Leaves the terminal's line clean for what follows (the summary). */
  end(): void {
    this.clearBar();
  }

  private clearBar(): void {
    if (this.barShown) this.stream.write('\r\x1b[2K');
    this.barShown = false;
  }
}
