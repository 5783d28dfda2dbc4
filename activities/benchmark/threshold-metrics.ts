/** The counts of one class binarised at p > 0.5 against the ground truth. */
export interface BinaryCounts {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

/** The official scorer binarises every class on its own: a lesion is predicted positive for each class whose probability exceeds 0.5. */
export const THRESHOLD = 0.5;

export interface ThresholdMetrics {
  accuracy: number;
  sensitivity: number;
  specificity: number;
  dice: number;
  ppv: number;
  npv: number;
}

/**
 * The official scorer's metrics of a binary confusion matrix. Where a ratio has a zero denominator
 * the official scorer scores it 1 (a "freebie": nothing was there to get wrong), and so does this.
 */
export function thresholdMetrics({ tp, tn, fp, fn }: BinaryCounts): ThresholdMetrics {
  const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 1 : numerator / denominator);
  return {
    accuracy: (tp + tn) / (tp + tn + fp + fn),
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    dice: ratio(2 * tp, 2 * tp + fp + fn),
    ppv: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
  };
}
