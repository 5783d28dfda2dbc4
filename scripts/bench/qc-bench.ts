/**
 * Benchmarks and sample evaluation for the QC additions:
 * - `benchNearDuplicates(n)`: multi-index-hashing near-duplicate search over n random 64-bit hashes
 *   with planted near-duplicates (build and search time, pairs found, planted pairs recovered);
 * - `benchHashDistance(n)`: all-pairs Hamming distances with two 32-bit halves vs BigInt;
 * - `benchImageQc(files)`: images/s of sharp decode + 128-px resize + `imageStatistics` + `modalityScore`;
 * - `evaluateSample(dir)`: cleanvision flags per check on the real MILK10k sample, the modality
 *   score's separation (AUC, best-threshold accuracy, within-lesion ordering), thumbnail vs
 *   full-resolution drift of the cleanvision scores, and the sample's own near-duplicate pHash pairs.
 *
 * Run: `npx tsx scripts/bench/qc-bench.ts [path/to/milk10k-sample]` (default: $MILK10K_SAMPLE, else
 * ../shared/milk10k-sample beside the repository).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import pMap from 'p-map';
import sharp from 'sharp';
import { cleanvisionFlags, imageStatistics, type CleanvisionCheck, type ImageStatistics, type RawImage } from '../../activities/deidentify/image-statistics.ts';
import { perceptualHash } from '../../activities/storage/perceptual-hash.ts';
import { modalityScore } from '../../activities/deidentify/modality.ts';
import { findNearDuplicates, popcount32, prepareNearDuplicateSearch } from '../../activities/assemble/near-duplicates.ts';
import { groupDuplicates } from '../../activities/storage/group-duplicates.ts';
import { Random } from '../synth/random.ts';

/** Width of the thumbnail the image checks run on. */
export const THUMBNAIL_WIDTH = 128;

/** Uniform 32-bit outputs of the project's seeded PRNG (mulberry32, scripts/synth/random.ts). */
export function mulberry32(seed: number): () => number {
  const random = new Random(seed);
  return () => random.uint32();
}

function hex64(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/**
 * n hashes: uniform random ones, plus (a fraction `planted` of n) copies of an earlier hash with
 * 1..maxDistance distinct bits flipped. Returns the items and the planted (original, copy) id pairs.
 */
export function randomHashes(n: number, { maxDistance = 8, planted = 0.01, seed = 1 } = {}): { items: { id: string; phash: string }[]; plantedPairs: [string, string][] } {
  const next = mulberry32(seed);
  const items: { id: string; phash: string }[] = [];
  const plantedPairs: [string, string][] = [];
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = `img${String(i).padStart(7, '0')}`;
    if (i > 0 && next() / 2 ** 32 < planted) {
      const source = next() % i;
      let h = hi[source]!;
      let l = lo[source]!;
      const flips = 1 + (next() % Math.max(1, maxDistance));
      const bits = new Set<number>();
      while (bits.size < Math.min(flips, 64)) bits.add(next() % 64);
      for (const bit of bits) {
        if (bit < 32) h ^= 1 << bit;
        else l ^= 1 << (bit - 32);
      }
      hi[i] = h;
      lo[i] = l;
      plantedPairs.push([items[source]!.id, id]);
    } else {
      hi[i] = next();
      lo[i] = next();
    }
    items.push({ id, phash: hex64(hi[i]!, lo[i]!) });
  }
  return { items, plantedPairs };
}

export interface NearDuplicateBench {
  /** wall-clock ms of `prepareNearDuplicateSearch` (parse hashes, build chunk tables) */
  buildMs: number;
  /** wall-clock ms of `search()` */
  searchMs: number;
  /** CPU (user) ms of `search()`: closer to the uncontended cost on a busy machine */
  searchCpuMs: number;
  pairs: number;
  planted: number;
  /** planted pairs the search returned (must equal `planted`) */
  plantedFound: number;
  method: 'mih' | 'brute';
  chunkWidths: number[];
  radii: number[];
}

/** Times `prepareNearDuplicateSearch` (parse + tables) and `search()` on `n` random hashes with 1% planted near-duplicates. */
export function benchNearDuplicates(n: number, { maxDistance = 8, seed = 1 }: { maxDistance?: number; seed?: number } = {}): NearDuplicateBench {
  const { items, plantedPairs } = randomHashes(n, { maxDistance, seed });
  let started = performance.now();
  const prepared = prepareNearDuplicateSearch(items, maxDistance);
  const buildMs = performance.now() - started;
  const cpu = process.cpuUsage();
  started = performance.now();
  const pairs = prepared.search();
  const searchMs = performance.now() - started;
  const searchCpuMs = process.cpuUsage(cpu).user / 1000;
  const found = new Set(pairs.map((p) => `${p.a} ${p.b}`));
  const plantedFound = plantedPairs.filter(([a, b]) => found.has(a < b ? `${a} ${b}` : `${b} ${a}`)).length;
  return { buildMs, searchMs, searchCpuMs, pairs: pairs.length, planted: plantedPairs.length, plantedFound, method: prepared.method, chunkWidths: prepared.chunkWidths, radii: prepared.radii };
}

/**
 * ns per Hamming distance over all pairs of n random hashes: two 32-bit halves + SWAR popcount, vs
 * BigInt XOR + a bit-clearing popcount loop, vs BigInt XOR split back into two Numbers + SWAR popcount.
 */
export function benchHashDistance(n: number): { halvesNsPerPair: number; bigintNsPerPair: number; bigintSplitNsPerPair: number; pairs: number } {
  const { items } = randomHashes(n, { planted: 0 });
  const hi = Uint32Array.from(items, (it) => parseInt(it.phash.slice(0, 8), 16));
  const lo = Uint32Array.from(items, (it) => parseInt(it.phash.slice(8), 16));
  const big = items.map((it) => BigInt(`0x${it.phash}`));
  const pairs = (n * (n - 1)) / 2;

  let started = performance.now();
  let checksum = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) checksum += popcount32(hi[i]! ^ hi[j]!) + popcount32(lo[i]! ^ lo[j]!);
  const halvesMs = performance.now() - started;

  started = performance.now();
  let bigChecksum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let x = big[i]! ^ big[j]!;
      let bits = 0;
      while (x) {
        x &= x - 1n;
        bits++;
      }
      bigChecksum += bits;
    }
  }
  const bigintMs = performance.now() - started;

  started = performance.now();
  let splitChecksum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = big[i]! ^ big[j]!;
      splitChecksum += popcount32(Number(x & 0xffffffffn)) + popcount32(Number(x >> 32n));
    }
  }
  const splitMs = performance.now() - started;
  if (checksum !== bigChecksum || checksum !== splitChecksum) throw new Error('popcount implementations disagree');
  return { halvesNsPerPair: (halvesMs * 1e6) / pairs, bigintNsPerPair: (bigintMs * 1e6) / pairs, bigintSplitNsPerPair: (splitMs * 1e6) / pairs, pairs };
}

/** Decodes a file to the RGB thumbnail the image checks take. */
export async function thumbnail(file: string, width = THUMBNAIL_WIDTH): Promise<RawImage> {
  const { data, info } = await sharp(file).resize(width).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

export interface ImageQcResult {
  file: string;
  stats: ImageStatistics;
  modality: number;
}

/** Thumbnails + statistics + modality score for every file, `concurrency` decodes in flight; images/s over the whole run. */
export async function benchImageQc(files: string[], { concurrency = Math.max(2, os.availableParallelism()) } = {}): Promise<{ imagesPerSecond: number; computeMsPerImage: number; results: ImageQcResult[] }> {
  let computeMs = 0;
  const started = performance.now();
  const results = await pMap(
    files,
    async (file) => {
      const rgb = await thumbnail(file);
      const t = performance.now();
      const stats = imageStatistics(rgb);
      const modality = modalityScore(rgb);
      computeMs += performance.now() - t;
      return { file, stats, modality };
    },
    { concurrency },
  );
  const seconds = (performance.now() - started) / 1000;
  return { imagesPerSecond: files.length / seconds, computeMsPerImage: computeMs / files.length, results };
}

/** Area under the ROC curve of `scores` for `labels` (true = positive), ties counted half (Mann–Whitney). */
export function rocAuc(scores: number[], labels: boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPositive = 0;
  let positives = 0;
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end + 1 < order.length && order[end + 1]![0] === order[k]![0]) end++;
    const midRank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) {
      if (labels[order[t]![1]]) {
        rankSumPositive += midRank;
        positives++;
      }
    }
    k = end + 1;
  }
  const negatives = scores.length - positives;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Best accuracy over all thresholds "score > t ⇒ positive", and the threshold. */
function bestAccuracy(scores: number[], labels: boolean[]): { accuracy: number; threshold: number } {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let correct = order.filter(([, y]) => y).length; // threshold below everything: all called positive
  let best = { accuracy: correct / order.length, threshold: -Infinity };
  for (let k = 0; k < order.length; k++) {
    correct += order[k]![1] ? -1 : 1;
    if (k + 1 < order.length && order[k + 1]![0] === order[k]![0]) continue;
    if (correct / order.length > best.accuracy) best = { accuracy: correct / order.length, threshold: order[k]![0] };
  }
  return best;
}

export interface SampleEvaluation {
  images: number;
  imagesPerSecond: number;
  computeMsPerImage: number;
  flags: Record<CleanvisionCheck, number>;
  flaggedIds: Partial<Record<CleanvisionCheck, string[]>>;
  quantiles: Record<string, [number, number, number, number, number]>;
  modality: { auc: number; accuracyAtHalf: number; bestAccuracy: number; bestThreshold: number; withinLesionOrdered: number };
  thumbnailDrift: { images: number; dark: number; light: number; lowInformation: number; flagChanges: number };
  nearDuplicates: { maxDistance: number; pairs: { a: string; b: string; distance: number }[]; groups: string[][] }[];
}

/** Runs every check on the real sample (`MILK10k_Training_Metadata.csv` + `MILK10k_Training_Input/<lesion>/<isic>.jpg`). */
export async function evaluateSample(sampleDir: string, { driftImages = 200 } = {}): Promise<SampleEvaluation> {
  const rows = parse(readFileSync(path.join(sampleDir, 'MILK10k_Training_Metadata.csv')), { columns: true }) as { lesion_id: string; image_type: string; isic_id: string }[];
  const files = rows.map((r) => path.join(sampleDir, 'MILK10k_Training_Input', r.lesion_id, `${r.isic_id}.jpg`));
  const run = await benchImageQc(files);

  const flags = { dark: 0, light: 0, 'low-information': 0, grayscale: 0, 'odd-aspect-ratio': 0, 'colour-cast': 0 } satisfies Record<CleanvisionCheck, number>;
  const flaggedIds: Partial<Record<CleanvisionCheck, string[]>> = {};
  run.results.forEach(({ stats }, k) => {
    for (const flag of cleanvisionFlags(stats)) {
      flags[flag]++;
      (flaggedIds[flag] ??= []).push(rows[k]!.isic_id);
    }
  });
  const quantiles: SampleEvaluation['quantiles'] = {};
  for (const key of ['dark', 'light', 'lowInformation', 'lumaEntropy', 'grayscale', 'oddAspectRatio', 'colourCast', 'colourCastFactor', 'meanA', 'meanB'] as const) {
    const values = run.results.map((r) => r.stats[key]).sort((a, b) => a - b);
    const q = (p: number) => values[Math.min(values.length - 1, Math.floor(p * values.length))]!;
    quantiles[key] = [values[0]!, q(0.05), q(0.5), q(0.95), values[values.length - 1]!];
  }
  quantiles.modality = [0, 0.05, 0.5, 0.95, 1].map((p) => {
    const values = run.results.map((r) => r.modality).sort((a, b) => a - b);
    return values[Math.min(values.length - 1, Math.floor(p * values.length))]!;
  }) as [number, number, number, number, number];

  const scores = run.results.map((r) => r.modality);
  const labels = rows.map((r) => r.image_type === 'dermoscopic');
  const best = bestAccuracy(scores, labels);
  const byLesion = new Map<string, { derm?: number; clin?: number }>();
  rows.forEach((r, k) => {
    const entry = byLesion.get(r.lesion_id) ?? {};
    if (labels[k]) entry.derm = scores[k];
    else entry.clin = scores[k];
    byLesion.set(r.lesion_id, entry);
  });
  const complete = [...byLesion.values()].filter((e) => e.derm !== undefined && e.clin !== undefined);
  const modality = {
    auc: rocAuc(scores, labels),
    accuracyAtHalf: scores.filter((s, k) => s > 0.5 === labels[k]).length / scores.length,
    bestAccuracy: best.accuracy,
    bestThreshold: best.threshold,
    withinLesionOrdered: complete.filter((e) => e.derm! > e.clin!).length / complete.length,
  };

  // cleanvision runs on the full image; how far do the thumbnail's scores drift from it?
  const drift = { images: 0, dark: 0, light: 0, lowInformation: 0, flagChanges: 0 };
  const driftFiles = files.filter((_, k) => k % Math.max(1, Math.floor(files.length / driftImages)) === 0).slice(0, driftImages);
  await pMap(
    driftFiles,
    async (file) => {
      const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const full = imageStatistics({ data, width: info.width, height: info.height, channels: info.channels });
      const thumb = imageStatistics(await thumbnail(file));
      drift.images++;
      drift.dark = Math.max(drift.dark, Math.abs(full.dark - thumb.dark));
      drift.light = Math.max(drift.light, Math.abs(full.light - thumb.light));
      drift.lowInformation = Math.max(drift.lowInformation, Math.abs(full.lowInformation - thumb.lowInformation));
      if (cleanvisionFlags(full).join() !== cleanvisionFlags(thumb).join()) drift.flagChanges++;
    },
    { concurrency: 4 },
  );

  // the sample's own near-duplicates, on measure-image's pHash (here of the full-resolution luma)
  const hashes = await pMap(
    files,
    async (file, k) => {
      const { data, info } = await sharp(file).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
      return { id: rows[k]!.isic_id, phash: perceptualHash(data, info.width, info.height) };
    },
    { concurrency: 4 },
  );
  const nearDuplicates = [0, 4, 8, 10].map((maxDistance) => {
    const pairs = findNearDuplicates(hashes, maxDistance);
    return { maxDistance, pairs, groups: groupDuplicates(pairs) };
  });

  return { images: files.length, imagesPerSecond: run.imagesPerSecond, computeMsPerImage: run.computeMsPerImage, flags, flaggedIds, quantiles, modality, thumbnailDrift: drift, nearDuplicates };
}

async function main(): Promise<void> {
  const repo = path.resolve(import.meta.dirname, '..', '..');
  const sampleDir = path.resolve(process.argv[2] ?? process.env.MILK10K_SAMPLE ?? path.join(repo, '..', 'shared', 'milk10k-sample'));
  const fmt = (x: number, digits = 3) => Number(x.toFixed(digits));

  const distance = benchHashDistance(4000);
  console.log(`Hamming distance, ${distance.pairs} pairs: two 32-bit halves ${fmt(distance.halvesNsPerPair)} ns/pair, BigInt popcount loop ${fmt(distance.bigintNsPerPair)} ns/pair, BigInt XOR split to Numbers ${fmt(distance.bigintSplitNsPerPair)} ns/pair`);
  for (const maxDistance of [4, 8, 10]) {
    for (const n of [10_000, 100_000]) {
      const r = benchNearDuplicates(n, { maxDistance });
      console.log(
        `near-duplicates n=${n} d≤${maxDistance}: ${r.method} chunks [${r.chunkWidths.join(',')}] radii [${r.radii.join(',')}], build ${fmt(r.buildMs, 1)} ms, search ${fmt(r.searchMs, 1)} ms (CPU ${fmt(r.searchCpuMs, 1)} ms), ` +
          `${r.pairs} pairs, planted ${r.plantedFound}/${r.planted} found`,
      );
    }
  }

  const evaluation = await evaluateSample(sampleDir);
  console.log(`image QC on ${evaluation.images} sample images: ${fmt(evaluation.imagesPerSecond, 1)} images/s (decode + resize to ${THUMBNAIL_WIDTH} px + statistics + modality), compute ${fmt(evaluation.computeMsPerImage)} ms/image`);
  console.log('cleanvision flags (default thresholds):', evaluation.flags);
  console.log('flagged ids:', evaluation.flaggedIds);
  console.log('quantiles [min, p5, p50, p95, max]:');
  for (const [key, q] of Object.entries(evaluation.quantiles)) console.log(`  ${key}: ${q.map((v) => fmt(v)).join(', ')}`);
  console.log('modality:', Object.fromEntries(Object.entries(evaluation.modality).map(([k, v]) => [k, fmt(v, 4)])));
  console.log('thumbnail vs full-resolution, max |Δ|:', evaluation.thumbnailDrift);
  for (const nd of evaluation.nearDuplicates) console.log(`sample near-duplicates d≤${nd.maxDistance}: ${nd.pairs.length} pairs, groups ${JSON.stringify(nd.groups)}, pairs ${JSON.stringify(nd.pairs.slice(0, 20))}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
