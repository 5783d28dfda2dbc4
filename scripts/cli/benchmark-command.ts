import path from 'node:path';
import { Command } from 'commander';
import { formatScore } from '../../activities/benchmark/format-score.ts';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { scoreBenchmark } from '../../activities/benchmark/score.ts';
import { StorageLayout } from '../../activities/storage/layout.ts';
import { CLASSES, BENCHMARK_TRUTH_FILES } from '../../schemas/release.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

/** `milk benchmark`: work with the held-out benchmark, whose labels stay under the private prefix. */
export function benchmarkCommand(): Command {
  const benchmark = new Command('benchmark').description('score predictions on the held-out benchmark against its private ground truth');
  benchmark
    .command('score')
    .description('score a predictions CSV as the official ISIC scorer does (headline macro Dice at p > 0.5), with every official metric per class and averaged')
    .argument('<predictions>', `CSV with lesion_id and a probability in [0, 1] per class (${CLASSES.join(', ')}), any column order, one row per benchmark lesion`)
    .option('-c, --config <file>', 'deployment config (its storage root holds the benchmark ground truth)', DEFAULT_CONFIG_FILE)
    .option('--truth <file>', 'score against this ground-truth CSV instead of the one under the storage root')
    .option('--json', 'print the score report as one JSON object')
    .action(async (predictionsFile: string, opts: { config: string; truth?: string; json?: boolean }) => {
      const truth = await readGroundTruth(opts.truth ?? groundTruthFile(opts.config));
      const report = scoreBenchmark(truth, await readPredictions(predictionsFile, truth));
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatScore(report));
    });
  return benchmark;
}

/** The ground truth the release wrote under the config's storage root. */
function groundTruthFile(configFile: string): string {
  const loaded = loadConfig(configFile);
  return path.join(new StorageLayout(loaded.storageRoot, loaded.config.release.dir).benchmarkTruth, BENCHMARK_TRUTH_FILES.groundTruth);
}
