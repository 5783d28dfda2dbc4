/**
 * The arg-max confusion matrix behind the official balanced accuracy: each lesion is assigned the
 * class with its highest probability, or none when two or more classes share the highest (the
 * official scorer labels those "undecided", which counts as wrong for every class).
 */
export interface ArgMaxConfusion {
  /** counts[true class][predicted class], classes by index; the last column counts undecided lesions */
  counts: number[][];
  undecided: number;
}

/** The index of the single highest probability, or -1 when it is tied. */
export function argMaxClass(probabilities: readonly number[]): number {
  let best = 0;
  let tied = false;
  for (let k = 1; k < probabilities.length; k++) {
    if (probabilities[k]! > probabilities[best]!) [best, tied] = [k, false];
    else if (probabilities[k] === probabilities[best]) tied = true;
  }
  return tied ? -1 : best;
}

/** `weights`: how many times each lesion counts (a bootstrap resample); once each when absent. */
export function argMaxConfusion(truth: readonly number[], probabilities: readonly (readonly number[])[], classCount: number, weights?: readonly number[]): ArgMaxConfusion {
  const counts = Array.from({ length: classCount }, () => new Array<number>(classCount + 1).fill(0));
  let undecided = 0;
  truth.forEach((t, i) => {
    const weight = weights ? weights[i]! : 1;
    const predicted = argMaxClass(probabilities[i]!);
    if (predicted < 0) undecided += weight;
    counts[t]![predicted < 0 ? classCount : predicted]! += weight;
  });
  return { counts, undecided };
}

/**
 * Mean recall of the arg-max class over the classes present in the ground truth: the official
 * scorer divides each diagonal count by its row total and averages, skipping the 0/0 of an absent class.
 */
export function balancedAccuracy({ counts }: ArgMaxConfusion): number {
  const recalls = counts.flatMap((row, k) => {
    const lesions = row.reduce((a, b) => a + b, 0);
    return lesions === 0 ? [] : [row[k]! / lesions];
  });
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}
