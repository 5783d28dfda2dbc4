/**
 * The official scorer's metrics that rank one class's probabilities (it calls scikit-learn's
 * `roc_auc_score`, `roc_curve` and `average_precision_score`), computed from the same curve.
 */

/** One point of the ROC curve: lesions at or above `threshold` are called positive. */
export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

export interface RankingMetrics {
  /** area under the ROC curve; ties in score count half */
  auc: number | null;
  /** raw (not McClish-normalised) area under the ROC curve where sensitivity is at least 80% */
  auc_sens_80: number | null;
  /** average precision: the sum over thresholds of (recall gained) × precision there */
  ap: number | null;
}

/** The official scorer's `auc_sens_80` takes the part of the curve at or above this sensitivity. */
const PARTIAL_AUC_SENSITIVITY = 0.8;

/**
 * How a ranking metric sees the lesions: whether each is a positive, its score, how many times it
 * counts (a bootstrap resample draws a lesion 0, 1 or more times; scikit-learn's `sample_weight`),
 * and the lesions ordered by score, highest first (sorted once, reused by every resample).
 */
export interface Ranking {
  positive: readonly boolean[];
  scores: readonly number[];
  weights?: readonly number[];
  order?: readonly number[];
}

/** Lesion indices by score, highest first. */
export const byScore = (scores: readonly number[]): number[] => scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);

/** Cumulative positive and negative counts at each distinct score, highest first, as scikit-learn's `_binary_clf_curve`. */
function cumulativeCounts({ positive, scores, weights, order = byScore(scores) }: Ranking): { threshold: number; tps: number; fps: number }[] {
  const counts: { threshold: number; tps: number; fps: number }[] = [];
  let tps = 0;
  let fps = 0;
  let group = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const weight = weights ? weights[i]! : 1;
    if (positive[i]) tps += weight;
    else fps += weight;
    group += weight;
    // A run of tied scores is one threshold: only its end is a point of the curve, and only if some lesion of it counts.
    if (k === order.length - 1 || scores[order[k + 1]!] !== scores[i]) {
      if (group > 0) counts.push({ threshold: scores[i]!, tps, fps });
      group = 0;
    }
  }
  return counts;
}

/** The ROC curve with every threshold (scikit-learn's `drop_intermediate=False`), from (0, 0); needs positives and negatives. */
export function rocCurve(positive: readonly boolean[], scores: readonly number[]): RocPoint[] {
  return curveOf(cumulativeCounts({ positive, scores }));
}

function curveOf(counts: readonly { threshold: number; tps: number; fps: number }[]): RocPoint[] {
  const { tps: p, fps: n } = counts.at(-1)!;
  // The official scorer writes the threshold above every score (scikit-learn's +inf) as 1.
  return [{ threshold: 1, fpr: 0, tpr: 0 }, ...counts.map((c) => ({ threshold: c.threshold, fpr: c.fps / n, tpr: c.tps / p }))];
}

export function rankingMetrics(ranking: Ranking): RankingMetrics {
  const counts = cumulativeCounts(ranking);
  const { tps: p = 0, fps: n = 0 } = counts.at(-1) ?? {};
  // Average precision needs positives only; with no negatives every threshold has precision 1.
  const ap = p === 0 ? null : counts.reduce((sum, c, k) => sum + ((c.tps - (counts[k - 1]?.tps ?? 0)) / p) * (c.tps / (c.tps + c.fps)), 0);
  if (p === 0 || n === 0) return { auc: null, auc_sens_80: null, ap };
  const curve = curveOf(counts);
  return { auc: trapezoid(curve), auc_sens_80: partialAuc(curve, PARTIAL_AUC_SENSITIVITY), ap };
}

/** Area under a polyline over fpr, by the trapezoid rule. */
function trapezoid(points: readonly Pick<RocPoint, 'fpr' | 'tpr'>[]): number {
  let area = 0;
  for (let k = 1; k < points.length; k++) area += ((points[k]!.fpr - points[k - 1]!.fpr) * (points[k]!.tpr + points[k - 1]!.tpr)) / 2;
  return area;
}

/**
 * The official `auc_above_sensitivity`: the curve from its first point with tpr >= `sensitivity`,
 * preceded by the point where the curve crosses that sensitivity (fpr interpolated linearly between
 * the two points around it), integrated over fpr. Not normalised to [0.5, 1] as McClish's is.
 */
function partialAuc(curve: readonly RocPoint[], sensitivity: number): number {
  // curve[0] has tpr 0 and the last point tpr 1, so 1 <= first < curve.length.
  const first = curve.findIndex((pt) => pt.tpr >= sensitivity);
  const [before, at] = [curve[first - 1]!, curve[first]!];
  // As numpy's interp: exactly at the upper point, take its value rather than the interpolation's rounding.
  const fpr = at.tpr === sensitivity ? at.fpr : ((at.fpr - before.fpr) / (at.tpr - before.tpr)) * (sensitivity - before.tpr) + before.fpr;
  return trapezoid([{ fpr, tpr: sensitivity }, ...curve.slice(first)]);
}

/** The ROC curve of every class, by CLASSES index; null for a class without both positives and negatives. */
export function classRocCurves(truth: readonly number[], probabilities: readonly (readonly number[])[], classCount: number): (RocPoint[] | null)[] {
  return Array.from({ length: classCount }, (_, k) => {
    const positive = truth.map((t) => t === k);
    const positives = positive.filter(Boolean).length;
    return positives === 0 || positives === truth.length ? null : rocCurve(positive, probabilities.map((p) => p[k]!));
  });
}
