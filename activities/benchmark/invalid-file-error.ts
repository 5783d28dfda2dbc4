import type { FileProblem } from '../../schemas/benchmark-score.ts';

/**
 * An input file with problems: carries every problem found, so one run shows the user all of them.
 * A single problem of the whole file (empty, not CSV) is one line.
 */
export class InvalidFileError extends Error {
  constructor(readonly file: string, readonly problems: readonly FileProblem[]) {
    super(
      problems.length === 1 && problems[0]!.row === undefined
        ? `${file}: ${problems[0]!.message}`
        : `${file} has ${problems.length} problem(s):\n${problems.map(problemLine).join('\n')}`,
    );
    this.name = 'InvalidFileError';
  }
}

function problemLine(problem: FileProblem): string {
  return problem.row === undefined ? problem.message : `row ${problem.row}: ${problem.message}`;
}
