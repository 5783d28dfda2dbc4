/**
 * Throughput of the release leak scan (`scanForLeaks`) over a folder of files, against a set of
 * PHI values shaped like the ones `phiValues` collects (names and their parts, local ids, dates in
 * the centres' formats, source filenames), drawn from a seed.
 *
 * Run directly: `npx tsx scripts/bench/leak-bench.ts <dir> [values] [runs]` (defaults 3000 and 5).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { scanForLeaks } from '../../activities/release/leak-scan.ts';
import type { PhiValue } from '../../activities/storage/phi-values.ts';
import { FIRST_NAMES, LAST_NAMES } from '../synth/centre-style.ts';
import { Random } from '../synth/random.ts';

export interface LeakBenchResult {
  files: number;
  megabytes: number;
  values: number;
  hits: number;
  /** MB/s of each run, sorted */
  rates: number[];
  /** MB per CPU second (user + system) of each run, sorted: what the scan costs however busy the machine is */
  cpuRates: number[];
}

export async function benchLeakScan(dir: string, values: readonly PhiValue[], runs: number): Promise<LeakBenchResult> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(path.join(e.parentPath, e.name))).size));
  const megabytes = sizes.reduce((a, b) => a + b, 0) / 1e6;
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let hits = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    hits = (await scanForLeaks(dir, values)).hits.length;
    const used = process.cpuUsage(cpu);
    rates.push(megabytes / ((performance.now() - started) / 1000));
    cpuRates.push(megabytes / ((used.user + used.system) / 1e6));
  }
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return { files: sizes.length, megabytes, values: values.length, hits, rates: sorted(rates), cpuRates: sorted(cpuRates) };
}

/** `count` distinct values of the kinds and shapes the private side holds. */
export function syntheticPhiValues(count: number, seed = 12): PhiValue[] {
  const random = new Random(seed);
  const values = new Map<string, PhiValue['kind']>();
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  while (values.size < count) {
    const first = random.pick(FIRST_NAMES);
    const last = `${random.pick(LAST_NAMES)}${random.pick(['', 'er', 'ova', 'sson', '-Ruiz'])}`;
    const [y, m, d] = [random.int(1930, 2023), random.int(1, 12), random.int(1, 28)];
    const candidates: PhiValue[] = [
      { kind: 'name', value: `${last}, ${first}` },
      { kind: 'name', value: last },
      { kind: 'local-id', value: pad(random.int(0, 9_999_999), 7) },
      { kind: 'local-id', value: `L${pad(random.int(0, 99_999), 5)}` },
      { kind: 'date', value: `${pad(d, 2)}.${pad(m, 2)}.${y}` },
      { kind: 'date', value: `${y}-${pad(m, 2)}-${pad(d, 2)}` },
      { kind: 'filename', value: `${last}_${first}_${y}${pad(m, 2)}${pad(d, 2)}_klin${random.int(1, 9)}.jpg` },
    ];
    const v = random.pick(candidates);
    if (!values.has(v.value)) values.set(v.value, v.kind);
  }
  return [...values].map(([value, kind]) => ({ kind, value }));
}

export function leakBenchLine(result: LeakBenchResult): string {
  const figures = (xs: number[]) => `min ${xs[0].toFixed(1)} / median ${xs[Math.floor(xs.length / 2)].toFixed(1)}`;
  return (
    `leak scan of ${result.files} files (${result.megabytes.toFixed(1)} MB) for ${result.values} values, ${result.rates.length} runs: ` +
    `${figures(result.rates)} MB/s (wall), ${figures(result.cpuRates)} MB per CPU second, ${result.hits} hits`
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, values = '3000', runs = '5'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: leak-bench.ts <dir> [values] [runs]');
  console.log(leakBenchLine(await benchLeakScan(dir, syntheticPhiValues(Number(values)), Number(runs))));
}
