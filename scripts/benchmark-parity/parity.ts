import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readGroundTruth } from '../../activities/benchmark/read-ground-truth.ts';
import { readPredictions } from '../../activities/benchmark/read-predictions.ts';
import { scoreBenchmark } from '../../activities/benchmark/score.ts';

/**
 * Compares `milk benchmark score` with the official scorer's output on the fixtures that
 * generate.py writes. Run `npx tsx scripts/benchmark-parity/parity.ts` for the largest difference
 * per metric; test/unit/benchmark-parity.test.ts asserts them.
 */
export const PARITY_FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'benchmark-parity');

export const parityCases = (): string[] => readdirSync(PARITY_FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

type Figure = number | null;
interface OfficialReport {
  overall: Figure;
  validation: Figure;
  per_category: Record<string, Record<string, Figure>>;
  macro_average: Record<string, Figure>;
  aggregate: Record<string, Figure>;
}

/** Every figure of a report in the official layout, by its path: `overall`, `per_category.dice.MEL`, `macro_average.auc`, ... */
export function officialFigures(report: OfficialReport): Map<string, Figure> {
  return new Map<string, Figure>([
    ['overall', report.overall],
    ['validation', report.validation],
    ...Object.entries(report.per_category).flatMap(([metric, byClass]) => Object.entries(byClass).map(([cls, v]) => [`per_category.${metric}.${cls}`, v] as const)),
    ...Object.entries(report.macro_average).map(([metric, v]) => [`macro_average.${metric}`, v] as const),
    ...Object.entries(report.aggregate).map(([metric, v]) => [`aggregate.${metric}`, v] as const),
  ]);
}

/** The official figures of one fixture and the project's, by path. */
export async function scoreFixture(name: string): Promise<{ official: Map<string, Figure>; ours: Map<string, Figure> }> {
  const folder = path.join(PARITY_FIXTURES, name);
  const truth = await readGroundTruth(path.join(folder, 'truth.csv'));
  const ours = scoreBenchmark(truth, await readPredictions(path.join(folder, 'predictions.csv'), truth));
  return { official: officialFigures(JSON.parse(readFileSync(path.join(folder, 'official.json'), 'utf8')) as OfficialReport), ours: officialFigures(ours) };
}

/** Per metric (`dice`, `macro_average.dice`, `overall`, ...), the largest |official - ours| over every fixture and class. */
async function largestDifferences(): Promise<Map<string, number>> {
  const largest = new Map<string, number>();
  for (const name of parityCases()) {
    const { official, ours } = await scoreFixture(name);
    for (const [key, value] of official) {
      // per_category.<metric>.<class> is summarised per metric over the classes.
      const metric = key.startsWith('per_category.') ? key.split('.')[1]! : key;
      const difference = value === null || ours.get(key) === null || ours.get(key) === undefined ? Infinity : Math.abs(value - ours.get(key)!);
      largest.set(metric, Math.max(largest.get(metric) ?? 0, difference));
    }
  }
  return largest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const largest = await largestDifferences();
  console.log(`largest |official - milk| over ${parityCases().length} fixtures (${parityCases().join(', ')}):`);
  for (const [metric, difference] of largest) console.log(`${metric.padEnd(28)} ${difference.toExponential(2)}`);
}
