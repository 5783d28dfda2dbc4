import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import pMap from 'p-map';
import { measureImage } from '../../activities/qc/measure-image.ts';
import { QcConfig } from '../../schemas/config.ts';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../schemas/config.ts';
import { isTemporalReachable } from '../../worker/connection.ts';
import { freePort, startDevServer, type DevServer } from '../dev-server.ts';
import { runBuild } from '../run-build.ts';
import { synthesise } from '../synth/synth.ts';
import { benchDeidentification } from './deid-bench.ts';
import { benchNearDuplicates } from './qc-bench.ts';
import { benchS3Fetch } from './s3-bench.ts';
import { benchScheduledRebuild } from './schedule-bench.ts';
import { latestSplitProportions, proportionLines } from './split-bench.ts';
import { StorageLayout } from '../../activities/storage/layout.ts';

/**
 * `npm run bench`: generates centre drops from a MILK10k layout, builds them twice on a real
 * Temporal server with the embedded worker, and prints wall time, images/s and peak memory.
 */
export async function runBench(milk10k: string): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'milk-bench-'));
  let server: DevServer | undefined;
  try {
    let started = Date.now();
    const synth = await synthesise({ config: path.resolve(import.meta.dirname, '..', '..', 'temporal.yml'), out: path.join(work, 'drops'), seed: 1, fromMilk10k: milk10k });
    console.log(`synth: ${synth.lesions} lesions, ${synth.images} images in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const sources = (await readdir(synth.out, { recursive: true })).filter((f) => /\.jpe?g$/i.test(f)).map((f) => path.join(synth.out, f));
    const deid = await benchDeidentification(sources);
    console.log(
      `de-identification of ${sources.length} centre JPEGs (all with EXIF): lossless ${deid.lossless.toFixed(0)} images/s, re-encode ${deid.reencode.toFixed(0)} images/s, ` +
        (deid.exiftool ? `exiftool -all= ${deid.exiftool.toFixed(0)} images/s (lossless/exiftool ${(deid.lossless / deid.exiftool).toFixed(1)}x)` : 'exiftool not installed'),
    );

    if (!process.env.TEMPORAL_ADDRESS || !(await isTemporalReachable(process.env.TEMPORAL_ADDRESS))) {
      server = await startDevServer({ dbFile: path.join(work, 'temporal.sqlite'), port: await freePort(), uiPort: await freePort() });
      process.env.TEMPORAL_ADDRESS = server.address;
    }
    const s3 = await benchS3Fetch(sources);
    console.log(`S3 fetch from a local SeaweedFS of ${s3.objects} centre JPEGs: ${s3.objectsPerSecond.toFixed(0)} objects/s, ${s3.mbPerSecond.toFixed(1)} MB/s`);
    for (const n of [10_000, 100_000]) {
      const duplicates = benchNearDuplicates(n, { maxDistance: QcConfig.parse({}).duplicates.maxDistance });
      console.log(`near-duplicate search over ${n} hashes: index ${duplicates.buildMs.toFixed(0)} ms, search ${duplicates.searchMs.toFixed(0)} ms, ${duplicates.pairs} pairs`);
    }
    const sample = (await readdir(path.join(milk10k, 'MILK10k_Training_Input'), { recursive: true })).filter((f) => f.endsWith('.jpg')).map((f) => path.join(milk10k, 'MILK10k_Training_Input', f));
    started = Date.now();
    await pMap(sample, async (file) => measureImage(await readFile(file)), { concurrency: 4 });
    console.log(`QC measurement (decode, all image checks, pHash, pixel hash, concept input) of the ${sample.length} sample images: ${(sample.length / ((Date.now() - started) / 1000)).toFixed(0)} images/s`);

    const loaded = loadConfig(synth.config);
    const walls: number[] = [];
    for (const label of ['first build', 'rebuild, same inputs']) {
      const peak = trackPeakRss();
      started = Date.now();
      const run = await runBuild(loaded, { embeddedWorker: true });
      const seconds = (Date.now() - started) / 1000;
      walls.push(seconds);
      const images = run.summary.centres.reduce((n, c) => n + c.retrieve.images, 0);
      console.log(
        `${label}: ${seconds.toFixed(1)} s, ${(images / seconds).toFixed(1)} images/s (${images} images in, ${run.summary.release.images} released), ` +
          `peak RSS ${(peak.stop() / 1024 / 1024).toFixed(0)} MB, stages ${run.summary.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}`,
      );
    }
    console.log(`no-change rebuild took ${((100 * walls[1]!) / walls[0]!).toFixed(1)}% of the first build's wall time`);

    const proportions = await latestSplitProportions(new StorageLayout(loaded.storageRoot, loaded.config.release.dir).releases);
    console.log(`benchmark split: ${proportions.benchmark} benchmark / ${proportions.train} training lesions; benchmark/training share per value (target: within 2 pp):`);
    for (const line of proportionLines(proportions)) console.log(line);

    const scheduled = await benchScheduledRebuild(loaded);
    console.log(
      `no-change scheduled rebuild (Temporal Schedule trigger to result): ${(scheduled.ms / 1000).toFixed(1)} s (target <= 10 s), ` +
        `${((100 * scheduled.ms) / 1000 / walls[0]!).toFixed(1)}% of the first build; release reused: ${scheduled.reused}, version ${scheduled.version}`,
    );
  } finally {
    await server?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Samples this process's resident set (the embedded worker runs here) every 50 ms. */
function trackPeakRss() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
