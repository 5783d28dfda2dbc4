import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildSummary } from '../../schemas/payloads.ts';

const MILK = path.resolve(import.meta.dirname, '..', 'milk.mjs');

export interface MeasuredBuild {
  seconds: number;
  imagesIn: number;
  summary: BuildSummary;
  /** peak resident set of the `milk worker` process and of the `milk build --no-worker` client, MB */
  workerPeakMb: number | undefined;
  clientPeakMb: number | undefined;
}

/**
 * One build as it runs in production: a `milk worker` process serving every queue and a
 * `milk build --no-worker --json` client, each its own OS process, so each one's peak memory is its own.
 */
export async function measureBuild(configFile: string): Promise<MeasuredBuild> {
  const worker = spawn(process.execPath, [MILK, 'worker', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const workerPeak = peakRss(worker);
  try {
    await lineFrom(worker, /Worker polling/);
    const started = Date.now();
    // The client's live progress goes to stderr: kept, and shown only if the build fails.
    const client = spawn(process.execPath, [MILK, 'build', '--no-worker', '--json', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const clientPeak = peakRss(client);
    let out = '';
    let err = '';
    client.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    client.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4_000)));
    const code = await new Promise<number | null>((resolve) => client.on('exit', resolve));
    const seconds = (Date.now() - started) / 1000;
    if (code !== 0) throw new Error(`milk build exited with ${code}: ${err}`);
    const summary = BuildSummary.parse(JSON.parse(out.trim().split('\n').at(-1)!));
    return { seconds, imagesIn: summary.centres.reduce((n, c) => n + c.retrieve.images, 0), summary, workerPeakMb: workerPeak.mb(), clientPeakMb: clientPeak.mb() };
  } finally {
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
}

function lineFrom(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the worker exited with ${code} before it polled`)));
  });
}

/**
 * The process's peak resident set (Linux VmHWM, which counts every thread), read every 250 ms while it
 * runs: the last reading before exit is the peak. Undefined where /proc is absent.
 */
function peakRss(child: ChildProcess): { mb(): number | undefined } {
  let peakKb: number | undefined;
  const read = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
  };
  const timer = setInterval(() => void read(), 250);
  child.on('exit', () => clearInterval(timer));
  return { mb: () => (peakKb === undefined ? undefined : peakKb / 1024) };
}
