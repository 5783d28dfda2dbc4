import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../schemas/config.ts';
import { isTemporalReachable } from '../../worker/connection.ts';
import { freePort, startDevServer, type DevServer } from '../dev-server.ts';
import { runBuild } from '../run-build.ts';
import { synthesise } from '../synth/synth.ts';
import { benchDeidentification } from './deid-bench.ts';

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
    const loaded = loadConfig(synth.config);
    for (const label of ['first build', 'rebuild, same inputs']) {
      const peak = trackPeakRss();
      started = Date.now();
      const run = await runBuild(loaded, { embeddedWorker: true });
      const seconds = (Date.now() - started) / 1000;
      const images = run.summary.centres.reduce((n, c) => n + c.retrieve.images, 0);
      console.log(
        `${label}: ${seconds.toFixed(1)} s, ${(images / seconds).toFixed(1)} images/s (${images} images in, ${run.summary.release.images} released), ` +
          `peak RSS ${(peak.stop() / 1024 / 1024).toFixed(0)} MB, stages ${run.summary.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}`,
      );
    }
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
