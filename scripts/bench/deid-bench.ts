/**
 * Throughput of three ways to take metadata out of JPEGs, measured in the same run on the same files:
 * - lossless: `stripJpeg` + `verifyClean` of its result (checked by the bits it decoded, as de-identification does) over
 *   the bytes (already in memory), repeated `runs` times; beside it the same with `verifyClean` of the bytes alone, which
 *   decodes every scan again (as the release stage does for files read back from storage);
 * - reencode: sharp decode with autoOrient, then JPEG quality 92 (the old deidentifyImage path, minus QC luma);
 * - exiftool: `exiftool -all= -overwrite_original -q <dir>`, one process over copies of all files
 *   (undefined when exiftool is not installed).
 * Each path handles one image at a time (libvips still uses its own threads inside one image).
 * Reading the files and copying them for exiftool is not timed.
 *
 * Run directly: `npx tsx scripts/bench/deid-bench.ts <dir-or-file>...` (JPEGs found recursively).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { stripJpeg, verifyClean } from '../../activities/storage/jpeg/strip-jpeg.ts';

export interface DeidBenchResult {
  /** images per second, of each run sorted (lossless paths) */
  lossless: number[];
  losslessDecodingTwice: number[];
  reencode: number;
  exiftool?: number;
}

export async function benchDeidentification(files: string[], runs = 1): Promise<DeidBenchResult> {
  if (files.length === 0) throw new Error('benchDeidentification: no files');
  const sources = await Promise.all(files.map((f) => readFile(f)));
  const timed = (work: (source: Buffer) => void) =>
    Array.from({ length: runs }, () => {
      const started = performance.now();
      for (const source of sources) work(source);
      return rate(sources.length, started);
    }).sort((a, b) => a - b);
  const lossless = timed((source) => verifyClean(stripJpeg(source)));
  const losslessDecodingTwice = timed((source) => verifyClean(stripJpeg(source).jpeg));

  let started = performance.now();
  for (const source of sources) await sharp(source, { failOn: 'error' }).autoOrient().jpeg({ quality: 92 }).toBuffer();
  const reencode = rate(sources.length, started);

  if (!hasExiftool()) return { lossless, losslessDecodingTwice, reencode };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deid-bench-exiftool-'));
  try {
    // Flat copies with unique names; exiftool picks files by extension, so each keeps its own.
    await Promise.all(files.map((f, i) => copyFile(f, path.join(dir, `${String(i).padStart(6, '0')}${path.extname(f)}`))));
    started = performance.now();
    const run = spawnSync('exiftool', ['-all=', '-overwrite_original', '-q', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const exiftool = rate(files.length, started);
    if (run.status !== 0) throw new Error(`exiftool exited with ${run.status}: ${run.stderr || run.error?.message}`);
    return { lossless, losslessDecodingTwice, reencode, exiftool };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function hasExiftool(): boolean {
  return spawnSync('exiftool', ['-ver'], { encoding: 'utf8' }).status === 0;
}

function rate(images: number, started: number): number {
  return images / ((performance.now() - started) / 1000);
}

export async function jpegsUnder(target: string): Promise<string[]> {
  if (/\.jpe?g$/i.test(target)) return [target];
  const entries = await readdir(target, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.jpe?g$/i.test(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** One line of figures: min / median of the repeated lossless runs, then the single re-encode and exiftool runs. */
export function deidBenchLine(images: number, result: DeidBenchResult): string {
  const runs = (xs: number[]) => `min ${xs[0].toFixed(0)} / median ${xs[Math.floor(xs.length / 2)].toFixed(0)} images/s`;
  return (
    `de-identification of ${images} JPEGs (${result.lossless.length} runs): lossless strip + verify by the rewrite's proof ${runs(result.lossless)}, ` +
    `verify by decoding again ${runs(result.losslessDecodingTwice)}; re-encode ${result.reencode.toFixed(0)} images/s; ` +
    (result.exiftool ? `exiftool -all= ${result.exiftool.toFixed(0)} images/s (lossless/exiftool ${(result.lossless[Math.floor(result.lossless.length / 2)] / result.exiftool).toFixed(1)}x)` : 'exiftool not installed')
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = (await Promise.all(process.argv.slice(2).map(jpegsUnder))).flat();
  console.log(deidBenchLine(files.length, await benchDeidentification(files, 5)));
}
