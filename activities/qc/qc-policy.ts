import type { QcThresholds } from '../../schemas/config.ts';
import type { QcScores } from '../../schemas/records.ts';

/** The QC checks an image fails under the configured thresholds, as exclusion reason codes. */
export function qcFailures(scores: QcScores, thresholds: QcThresholds): string[] {
  const failures: string[] = [];
  if (scores.width < thresholds.minWidth || scores.height < thresholds.minHeight) failures.push('too-small');
  if (scores.meanLuma < thresholds.minMeanLuma) failures.push('too-dark');
  if (scores.meanLuma > thresholds.maxMeanLuma) failures.push('too-bright');
  if (scores.sharpness < thresholds.minSharpness) failures.push('blurry');
  return failures;
}
