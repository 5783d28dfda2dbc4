import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pMap from 'p-map';
import sharp from 'sharp';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { QcConfig, loadConfig } from '../../schemas/config.ts';
import { isTemporalReachable } from '../../worker/connection.ts';
import { freePort, startDevServer, type DevServer } from '../dev-server.ts';
import { synthesise } from '../synth/synth.ts';
import { Random } from '../synth/random.ts';
import { measureBuild, type MeasuredBuild } from './build-bench.ts';
import { benchDeidentification, deidBenchLine, jpegsUnder } from './deid-bench.ts';
import { benchLeakScan, leakBenchLine, syntheticPhiValues } from './leak-bench.ts';
import { seededDefectCatchRates } from './qc-calibration.ts';
import { benchNearDuplicates } from './qc-bench.ts';
import { compareWithCleanvision, comparisonLines } from './qc-vs-cleanvision.ts';
import { compareWithOfficial, PARITY_FIELDS } from './release-parity.ts';
import { benchS3Fetch } from './s3-bench.ts';
import { benchText } from './text-bench.ts';
import { benchScheduledRebuild } from './schedule-bench.ts';
import { latestSplitProportions, proportionLines } from './split-bench.ts';
import type { BenchPart } from './bench-parts.ts';

export interface BenchOptions {
  /** official MILK10k folders to build (e.g. the shared sample and extra lesions) */
  milk10k: string[];
  /** the scale-up to build beside them (`milk synth --scale`); 1 builds only the real lesions */
  scale: number;
  /** keep drops and builds here, and reuse drops already generated there (default: a temporary folder) */
  work?: string;
  /** run only this part (`qc`: the project's QC beside cleanvision; `text`: burned-in text detection; `deid`: lossless de-identification and the leak scan on the real images) */
  only?: BenchPart;
  /** real images the QC comparison and text detection run on (default: all of them) */
  qcImages?: number;
}

/** Real images the text bench draws a name, date or id into. */
const DRAWN_TEXTS = 400;

/** Seeded copies per defect and near-duplicate kind in the QC comparison. */
const SEEDED_PER_KIND = 100;

/** Images a decode pass reads: the rate is per image, so a seeded sample of the same files stands for all. */
const DECODE_SAMPLE = 6_000;
/** Real images each seeded defect is made from. */
const DEFECT_SAMPLE = 300;

/**
 * `npm run bench`: builds the official MILK10k lesions given and a scale-up of them on a real Temporal
 * server, each with a `milk worker` process and a client process, and prints side by side: images/s
 * against a sharp full-decode pass over the same files in the same run, the no-change rebuild's share,
 * peak memory per process, time per stage and its growth with size, the release's parity with the
 * official CSVs, the default QC thresholds against the real images and seeded defects, and the
 * project's QC beside cleanvision on the same files (`--only qc` runs just that).
 */
export async function runBench(options: BenchOptions): Promise<void> {
  const work = options.work ? path.resolve(options.work) : await mkdtemp(path.join(os.tmpdir(), 'milk-bench-'));
  await mkdir(work, { recursive: true });
  let server: DevServer | undefined;
  try {
    const official = (await Promise.all(options.milk10k.map((dir) => jpegsUnder(path.join(dir, 'MILK10k_Training_Input'))))).flat().sort();
    if (options.only === 'deid') return await benchDeidAndLeakScan(options.milk10k[0]!);
    const qcImages = new Random(5).shuffle(official).slice(0, options.qcImages ?? official.length);
    if (options.only === undefined || options.only === 'qc') for (const line of comparisonLines(await compareWithCleanvision(qcImages, SEEDED_PER_KIND, QcConfig.parse({}), work))) console.log(line);
    if (options.only === undefined || options.only === 'text') for (const line of await benchText(qcImages, DRAWN_TEXTS, QcConfig.parse({}).text, work)) console.log(line);
    if (options.only === 'qc' || options.only === 'text') return;
    const scales = options.scale > 1 ? [1, options.scale] : [1];
    const drops = new Map<number, string>();
    for (const scale of scales) drops.set(scale, await dropsFor(options.milk10k, scale, work));
    const sources = await dropImages(drops.get(1)!);
    console.log(`centre JPEGs (all with EXIF): ${deidBenchLine(Math.min(2_000, sources.length), await benchDeidentification(sources.slice(0, 2_000), 3))}`);
    console.log(leakBenchLine(await benchLeakScan(path.join(options.milk10k[0]!, 'MILK10k_Training_Input'), syntheticPhiValues(3_000), 3)));
    if (!process.env.TEMPORAL_ADDRESS || !(await isTemporalReachable(process.env.TEMPORAL_ADDRESS))) {
      server = await startDevServer({ dbFile: path.join(work, `temporal-${Date.now()}.sqlite`), port: await freePort(), uiPort: await freePort() });
      process.env.TEMPORAL_ADDRESS = server.address;
    }
    const s3 = await benchS3Fetch(sources.slice(0, 2_000));
    console.log(`S3 fetch from a local SeaweedFS of ${s3.objects} centre JPEGs: ${s3.objectsPerSecond.toFixed(0)} objects/s, ${s3.mbPerSecond.toFixed(1)} MB/s`);
    for (const n of [10_000, 100_000]) {
      const duplicates = benchNearDuplicates(n, { maxDistance: QcConfig.parse({}).duplicates.maxDistance });
      console.log(`near-duplicate search over ${n} hashes: index ${duplicates.buildMs.toFixed(0)} ms, search ${duplicates.searchMs.toFixed(0)} ms, ${duplicates.pairs} pairs`);
    }
    let started = Date.now();
    await pMap(official.slice(0, DECODE_SAMPLE), async (file) => measureImage(await readFile(file)), { concurrency: 4 });
    console.log(`QC measurement (decode, all image checks, pHash, pixel hash, concept input) of ${Math.min(DECODE_SAMPLE, official.length)} official images: ${(Math.min(DECODE_SAMPLE, official.length) / ((Date.now() - started) / 1000)).toFixed(0)} images/s`);

    const measured = new Map<number, MeasuredBuild[]>();
    for (const scale of scales) {
      const configFile = drops.get(scale)!;
      const loaded = loadConfig(configFile);
      await rm(loaded.storageRoot, { recursive: true, force: true });
      const files = await dropImages(configFile);
      const decodeRate = await fullDecodeRate(files);
      const builds: MeasuredBuild[] = [];
      for (const label of ['first build', 'rebuild, same inputs']) {
        const build = await measureBuild(configFile);
        builds.push(build);
        const rate = build.imagesIn / build.seconds;
        console.log(
          `x${scale} ${label}: ${build.seconds.toFixed(1)} s, ${rate.toFixed(1)} images/s (${build.imagesIn} images in, ${build.summary.release.lesions} lesions / ${build.summary.release.images} images released), ` +
            `${label === 'first build' ? `ratio to a sharp full decode of the same files (${decodeRate.toFixed(0)} images/s, this run): ${(rate / decodeRate).toFixed(2)} (target >= 0.33), ` : ''}` +
            `peak RSS worker ${mb(build.workerPeakMb)} / client ${mb(build.clientPeakMb)} (target <= 2048 MB), stages ${build.summary.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}`,
        );
      }
      console.log(`x${scale} no-change rebuild took ${((100 * builds[1]!.seconds) / builds[0]!.seconds).toFixed(1)}% of the first build's wall time (target <= 5%)`);
      console.log(`x${scale} exclusions of the first build: ${JSON.stringify(builds[0]!.summary.release.exclusionsByReason)}`);
      measured.set(scale, builds);

      if (scale === 1) {
        // the bench builds into a folder root
        const storage = openStorage(loaded);
        const parity = await compareWithOfficial(options.milk10k, storage.store.where(storage.layout.release), storage.store.where(storage.layout.benchmarkTruth('')));
        console.log(
          `release vs official CSVs (images matched by decoded pixels, ${parity.approximateImages} re-encoded upright matched by nearest thumbnail): ` +
            `${parity.releasedLesions} of ${parity.officialLesions} lesions released, ${parity.matchedLesions} matched; equal: ` +
            PARITY_FIELDS.map((f) => `${f} ${((100 * parity.equal[f]) / Math.max(1, parity.matchedLesions)).toFixed(1)}%`).join(', '),
        );
        for (const line of parity.mismatches.slice(0, 10)) console.log(`  mismatch: ${line}`);
        const qcExcluded = Object.entries(builds[0]!.summary.release.exclusionsByReason).filter(([reason]) => /^image:(blurry|too-|odd-|low-|grayscale)/.test(reason));
        console.log(`default QC thresholds on the ${official.length} official images: ${qcExcluded.reduce((n, [, c]) => n + c, 0)} excluded ${JSON.stringify(Object.fromEntries(qcExcluded))}`);
        const defectFiles = new Random(7).shuffle(official).slice(0, DEFECT_SAMPLE);
        for (const rate of await seededDefectCatchRates(defectFiles, loaded.config.qc)) {
          console.log(`  seeded ${rate.name}: ${rate.caught}/${rate.of} caught as ${rate.check} (${((100 * rate.caught) / rate.of).toFixed(1)}%)`);
        }
        const proportions = await latestSplitProportions(storage);
        console.log(`benchmark split: ${proportions.benchmark} benchmark / ${proportions.train} training lesions; benchmark/training share per value (target: within 2 pp):`);
        for (const line of proportionLines(proportions)) console.log(line);
        const scheduled = await benchScheduledRebuild(loaded);
        console.log(
          `no-change scheduled rebuild (Temporal Schedule trigger to result): ${(scheduled.ms / 1000).toFixed(1)} s (target <= 10 s), ` +
            `${((100 * scheduled.ms) / 1000 / builds[0]!.seconds).toFixed(1)}% of the first build; release reused: ${scheduled.reused}, version ${scheduled.version}`,
        );
      }
    }
    if (scales.length > 1) printGrowth(measured, scales);
  } finally {
    await server?.stop();
    if (!options.work) await rm(work, { recursive: true, force: true });
  }
}

/** The real images of one MILK10k folder: strip + verify against exiftool, and the leak scan for 3,000 values (`--only deid`). */
async function benchDeidAndLeakScan(milk10k: string): Promise<void> {
  const input = path.join(milk10k, 'MILK10k_Training_Input');
  const files = (await jpegsUnder(input)).slice(0, 2_000);
  console.log(deidBenchLine(files.length, await benchDeidentification(files, 5)));
  console.log(leakBenchLine(await benchLeakScan(input, syntheticPhiValues(3_000), 5)));
}

/** Drops of the official folders at a scale, generated once per work folder; returns their temporal.yml. */
async function dropsFor(milk10k: string[], scale: number, work: string): Promise<string> {
  const out = path.join(work, `drops-x${scale}`);
  const config = path.join(out, 'temporal.yml');
  if (existsSync(config)) {
    console.log(`synth x${scale}: reusing ${out}`);
    return config;
  }
  const started = Date.now();
  const synth = await synthesise({ config: path.resolve(import.meta.dirname, '..', '..', 'temporal.yml'), out, seed: 1, fromMilk10k: milk10k, scale });
  console.log(`synth x${scale}: ${synth.lesions} lesions, ${synth.images} images in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return synth.config;
}

/** Images/s of a plain sharp full decode (every pixel, both cores busy) of a seeded sample of the files. */
async function fullDecodeRate(files: readonly string[]): Promise<number> {
  const sample = new Random(3).shuffle(files).slice(0, DECODE_SAMPLE);
  const started = Date.now();
  await pMap(sample, async (file) => sharp(await readFile(file)).raw().toBuffer(), { concurrency: 2 * os.availableParallelism() });
  return sample.length / ((Date.now() - started) / 1000);
}

/** Time per stage at each scale, and how it grew relative to the image count (1.0 = linear). */
function printGrowth(measured: Map<number, MeasuredBuild[]>, scales: number[]): void {
  const [small, large] = [measured.get(scales[0]!)![0]!, measured.get(scales.at(-1)!)![0]!];
  const sizeRatio = large.imagesIn / small.imagesIn;
  console.log(`growth from ${small.imagesIn} to ${large.imagesIn} images (x${sizeRatio.toFixed(1)}); per stage: seconds small -> large, growth / size growth (<= 1 is linear or better):`);
  for (const timing of large.summary.timings) {
    const before = small.summary.timings.find((t) => t.stage === timing.stage)?.ms ?? 0;
    const growth = before > 0 ? timing.ms / before / sizeRatio : NaN;
    console.log(`  ${timing.stage}: ${(before / 1000).toFixed(1)} -> ${(timing.ms / 1000).toFixed(1)} s, ${growth.toFixed(2)}`);
  }
  const memory = (b: MeasuredBuild) => b.workerPeakMb ?? NaN;
  console.log(`  worker peak RSS: ${mb(small.workerPeakMb)} -> ${mb(large.workerPeakMb)}, ${(memory(large) / memory(small) / sizeRatio).toFixed(2)} of linear`);
}

const mb = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MB`);

/** The centre JPEGs of a synthesised config's drops (not what its builds wrote under the storage root). */
async function dropImages(configFile: string): Promise<string[]> {
  const loaded = loadConfig(configFile);
  return (await Promise.all(loaded.config.centres.map((c) => jpegsUnder(loaded.centreFolder(c))))).flat();
}
