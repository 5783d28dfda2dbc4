import { IMAGE_ID_COLUMN, PREDICTIONS_HEADER, PredictionRow, type FileProblem, type LesionTruth } from '../../schemas/benchmark-score.ts';
import { InvalidFileError } from './invalid-file-error.ts';
import { readKeyedCsv } from './read-keyed-csv.ts';

/**
 * Reads a predictions CSV and checks it against the ground truth: every class column, probabilities
 * in [0, 1], every benchmark lesion exactly once (or at most once, for a reader who read only some:
 * `subset`) and no other lesion. Throws one `InvalidFileError` listing every problem with its row.
 * As the official scorer, it takes an `image` column in place of `lesion_id` and ids ending in `.jpg`
 * (any case).
 */
export async function readPredictions(file: string, truth: readonly LesionTruth[], { subset = false } = {}): Promise<PredictionRow[]> {
  const table = await readKeyedCsv(file, PREDICTIONS_HEADER, 'lesion_id', PredictionRow, { column: IMAGE_ID_COLUMN, suffix: /\.jpg$/i });
  const benchmark = new Set(truth.map((t) => t.lesion_id));
  const unknown: FileProblem[] = [...table.keys]
    .filter(([lesionId]) => !benchmark.has(lesionId))
    .map(([lesionId, row]) => ({ row, message: `lesion_id ${lesionId} is not a lesion of the benchmark` }));
  // Without a lesion_id column, or without rows, every lesion would be "missing"; the problem already found says why.
  const missing: FileProblem[] = !subset && table.header.includes('lesion_id') && table.rows > 0
    ? truth.filter((t) => !table.keys.has(t.lesion_id)).map((t) => ({ message: `lesion ${t.lesion_id} has no prediction row` }))
    : [];
  // Stable sort: header problems (no row) first, then each row's problems in row order.
  const problems = [...[...table.problems, ...unknown].sort((a, b) => (a.row ?? 0) - (b.row ?? 0)), ...missing];
  if (problems.length > 0) throw new InvalidFileError(file, problems);
  return table.values;
}
