/**
 * ROC AUC of scores for positives against negatives, by the Mann-Whitney U statistic: the chance that
 * a random positive scores above a random negative, a tie counting one half (tied scores share their
 * average rank). Needs at least one positive and one negative.
 */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  const scored = [...positives.map((score) => ({ score, positive: true })), ...negatives.map((score) => ({ score, positive: false }))];
  scored.sort((a, b) => a.score - b.score);
  let positiveRankSum = 0;
  for (let start = 0; start < scored.length; ) {
    let end = start;
    while (end < scored.length && scored[end]!.score === scored[start]!.score) end++;
    // 1-based ranks start+1 .. end share their mean.
    const averageRank = (start + 1 + end) / 2;
    positiveRankSum += averageRank * scored.slice(start, end).filter((s) => s.positive).length;
    start = end;
  }
  const n = positives.length;
  return (positiveRankSum - (n * (n + 1)) / 2) / (n * negatives.length);
}
