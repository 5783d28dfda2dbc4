import { GroundTruthRow, type LesionTruth } from '../../schemas/benchmark-score.ts';
import { GROUND_TRUTH_HEADER } from '../../schemas/release.ts';
import { InvalidFileError } from './invalid-file-error.ts';
import { readKeyedCsv } from './read-keyed-csv.ts';

/** Reads a benchmark ground truth (`MILK10k_Test_GroundTruth.csv`): one one-hot row per lesion; throws with every problem found. */
export async function readGroundTruth(file: string): Promise<LesionTruth[]> {
  const table = await readKeyedCsv(file, GROUND_TRUTH_HEADER, 'lesion_id', GroundTruthRow);
  if (table.problems.length > 0) throw new InvalidFileError(file, table.problems);
  return table.values;
}
