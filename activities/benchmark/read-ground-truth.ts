import { GroundTruthRow, type LesionTruth } from '../../schemas/benchmark-score.ts';
import { GROUND_TRUTH_HEADER } from '../../schemas/release.ts';
import { InvalidFileError } from './invalid-file-error.ts';
import { readKeyedCsv } from './read-keyed-csv.ts';

/** Reads a benchmark ground truth (`MILK10k_Test_GroundTruth.csv`): one one-hot row per lesion; throws with every problem found. */
export async function readGroundTruth(file: string): Promise<LesionTruth[]> {
  const table = await readKeyedCsv(file, GROUND_TRUTH_HEADER, 'lesion_id', GroundTruthRow);
  const problems = table.keys.size === 0 && table.problems.length === 0 ? [{ message: 'holds no lesion' }] : table.problems;
  if (problems.length > 0) throw new InvalidFileError(file, problems);
  return table.values;
}
