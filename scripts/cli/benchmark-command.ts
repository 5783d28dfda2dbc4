import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ATTRIBUTE_FILES, readLesionAttributes } from '../../activities/benchmark/read-lesion-attributes.ts';
import { formatScore } from '../../activities/benchmark/format-score.ts';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { buildScoreReport } from '../../activities/benchmark/score-report.ts';
import { StorageLayout } from '../../activities/storage/layout.ts';
import { CLASSES, BENCHMARK_TRUTH_FILES } from '../../schemas/release.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

interface ScoreOptions {
  config: string;
  truth?: string;
  release?: string;
  bootstrap: number;
  seed: number;
  compare?: string;
  json?: boolean;
}

/** `milk benchmark`: work with the held-out benchmark, whose labels stay under the private prefix. */
export function benchmarkCommand(): Command {
  const benchmark = new Command('benchmark').description('score predictions on the held-out benchmark against its private ground truth');
  benchmark
    .command('score')
    .description('score a predictions CSV as the official ISIC scorer does (headline macro Dice at p > 0.5), with every official metric per class and averaged, bootstrap intervals and subgroups')
    .argument('<predictions>', `CSV with lesion_id (or image) and a probability in [0, 1] per class (${CLASSES.join(', ')}), any column order, one row per benchmark lesion`)
    .option('-c, --config <file>', 'deployment config (its storage root holds the benchmark ground truth, its release folder the lesion attributes)', DEFAULT_CONFIG_FILE)
    .option('--truth <file>', 'score against this ground-truth CSV instead of the one under the storage root')
    .option('--release <dir>', `release folder whose ${ATTRIBUTE_FILES.lesions} and ${ATTRIBUTE_FILES.images} give the subgroups (default: the config's, unless --truth is given)`)
    .option('--bootstrap <resamples>', 'lesion-level bootstrap resamples for the 95% intervals (and permutations for --compare); 0 for none', count, 1000)
    .option('--seed <n>', 'seed of the bootstrap and the permutations', count, 1)
    .option('--compare <predictions>', 'a second predictions CSV: the difference in macro Dice, its interval and a paired permutation p-value')
    .option('--json', 'print the score report as one JSON object')
    .action(async (predictionsFile: string, opts: ScoreOptions) => {
      const truth = await readGroundTruth(opts.truth ?? groundTruthFile(opts.config));
      const releaseDir = opts.release ?? (opts.truth ? undefined : releaseFolder(opts.config));
      const attributes = releaseDir ? await readLesionAttributes(releaseDir) : null;
      if (releaseDir && !attributes) console.error(`no subgroups: ${releaseDir} holds no ${ATTRIBUTE_FILES.lesions} and ${ATTRIBUTE_FILES.images}`);
      if (opts.compare && opts.bootstrap === 0) throw new InvalidArgumentError('--compare needs --bootstrap above 0: its interval and p-value come from resamples');
      const report = buildScoreReport({
        truth,
        predictions: { name: predictionsFile, rows: await readPredictions(predictionsFile, truth) },
        attributes,
        compare: opts.compare ? { name: opts.compare, rows: await readPredictions(opts.compare, truth) } : undefined,
        bootstrap: opts.bootstrap > 0 ? { resamples: opts.bootstrap, seed: opts.seed } : null,
      });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatScore(report));
    });
  return benchmark;
}

function count(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return Number(text);
}

function layoutOf(configFile: string): StorageLayout {
  const loaded = loadConfig(configFile);
  return new StorageLayout(loaded.storageRoot, loaded.config.release.dir);
}

/** The ground truth the release wrote under the config's storage root. */
function groundTruthFile(configFile: string): string {
  return path.join(layoutOf(configFile).benchmarkTruth, BENCHMARK_TRUTH_FILES.groundTruth);
}

function releaseFolder(configFile: string): string {
  return layoutOf(configFile).release;
}
