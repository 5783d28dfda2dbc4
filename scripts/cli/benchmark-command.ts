import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ATTRIBUTE_FILES, readLesionAttributes } from '../../activities/benchmark/read-lesion-attributes.ts';
import { formatScore } from '../../activities/benchmark/format-score.ts';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { classRocCurves } from '../../activities/benchmark/ranking-metrics.ts';
import { scoreReportHtml } from '../../activities/benchmark/report-html.ts';
import { buildScoreReport } from '../../activities/benchmark/score-report.ts';
import { toCases } from '../../activities/benchmark/scoring-cases.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import { CLASSES, BENCHMARK_TRUTH_FILES } from '../../schemas/release.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

interface ScoreOptions {
  config: string;
  truth?: string;
  release?: string;
  bootstrap: number;
  seed: number;
  compare?: string;
  reader: { name: string; file: string }[];
  html?: string;
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
    .option('--reader <name=file>', 'a reader\'s diagnoses (one-hot or probabilities, same columns), on all or some lesions; repeat for each reader', reader, [])
    .option('--html <file>', 'also write the report as a self-contained HTML page: headline, per-class table, confusion heat map, ROC curves, subgroups')
    .option('--json', 'print the score report as one JSON object')
    .action(async (predictionsFile: string, opts: ScoreOptions) => {
      const stored = opts.truth && opts.release ? undefined : await storedBenchmark(opts.config);
      const truth = await readGroundTruth(opts.truth ?? path.join(stored!.truth.dir, BENCHMARK_TRUTH_FILES.groundTruth)).finally(() => stored?.truth.release());
      const releaseDir = opts.release ?? (opts.truth ? undefined : stored!.release.dir);
      const attributes = releaseDir ? await readLesionAttributes(releaseDir).finally(() => stored?.release.release()) : null;
      if (releaseDir && !attributes) console.error(`no subgroups: ${opts.release ?? stored!.where} holds no ${ATTRIBUTE_FILES.lesions} and ${ATTRIBUTE_FILES.images}`);
      if ((opts.compare || opts.reader.length > 0) && opts.bootstrap === 0) throw new InvalidArgumentError('--compare and --reader need --bootstrap above 0: their intervals and p-values come from resamples');
      const predictions = await readPredictions(predictionsFile, truth);
      const report = buildScoreReport({
        truth,
        predictions: { name: predictionsFile, rows: predictions },
        attributes,
        compare: opts.compare ? { name: opts.compare, rows: await readPredictions(opts.compare, truth) } : undefined,
        readers: await Promise.all(opts.reader.map(async ({ name, file }) => ({ name, file, rows: await readPredictions(file, truth, { subset: true }) }))),
        bootstrap: opts.bootstrap > 0 ? { resamples: opts.bootstrap, seed: opts.seed } : null,
      });
      if (opts.html) {
        const cases = toCases(truth, predictions);
        await writeFile(opts.html, scoreReportHtml(report, classRocCurves(cases.truth, cases.probabilities, CLASSES.length), `MILK10k benchmark: ${path.basename(predictionsFile)}`));
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatScore(report));
    });
  return benchmark;
}

function count(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('not a whole number');
  return Number(text);
}

/** `--reader name=file`, collected over repeats; reader ids must differ. */
function reader(text: string, readers: { name: string; file: string }[]): { name: string; file: string }[] {
  const match = /^([^=]+)=(.+)$/.exec(text);
  if (!match) throw new InvalidArgumentError('expected name=file, e.g. dermatologist-1=reader1.csv');
  if (readers.some((r) => r.name === match[1])) throw new InvalidArgumentError(`reader ${match[1]} is given twice`);
  return [...readers, { name: match[1]!, file: match[2]! }];
}

/** The ground truth the release wrote under the config's storage root, and the release's attribute files, as local folders. */
async function storedBenchmark(configFile: string) {
  const { store, layout } = openStorage(loadConfig(configFile));
  const attributeFiles = new Set(Object.values(ATTRIBUTE_FILES).map((f) => f.split(path.sep).join('/')));
  return {
    truth: await store.localFolder(layout.benchmarkTruth('')),
    release: await store.localFolder(layout.release, (file) => attributeFiles.has(file)),
    where: store.where(layout.release),
  };
}
