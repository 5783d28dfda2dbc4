import { CLASS_METRICS, type BenchmarkMetrics, type ScoreReport } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';

/** A score report for a terminal: the headline, a table per class with the macro averages, then the arg-max confusion matrix. */
export function formatScore(report: ScoreReport): string {
  return formatMetrics(report).join('\n');
}

function formatMetrics(metrics: BenchmarkMetrics): string[] {
  const present = CLASSES.length - metrics.absent_classes.length;
  const absent = metrics.absent_classes.length > 0 ? `; absent from the ground truth: ${metrics.absent_classes.join(', ')}` : '';
  const undecided = metrics.undecided > 0 ? ` (${metrics.undecided} lesion(s) with a tied top probability count as wrong)` : '';
  return [
    `${metrics.lesions} lesions scored, ${present} of ${CLASSES.length} classes present${absent}`,
    `macro Dice (p > 0.5)  ${metric(metrics.overall)}`,
    `balanced accuracy     ${metric(metrics.aggregate.balanced_accuracy)}${undecided}`,
    '',
    ...classTable(metrics),
    '',
    'confusion matrix (rows: true class, columns: arg-max predicted class)',
    ...confusionLines(metrics.confusion_matrix),
  ];
}

function classTable(metrics: BenchmarkMetrics): string[] {
  const width = Math.max(...CLASSES.map((c) => c.length), 'macro'.length);
  const cell = (text: string) => text.padStart(11);
  const rows = metrics.classes.map(({ class: cls, lesions, predicted }) =>
    [cls.padEnd(width), cell(String(lesions)), cell(String(predicted)), ...CLASS_METRICS.map((m) => cell(metric(metrics.per_category[m][cls])))].join(' '),
  );
  return [
    ['class'.padEnd(width), ...['lesions', 'predicted', ...CLASS_METRICS].map(cell)].join(' '),
    ...rows,
    ['macro'.padEnd(width), cell(''), cell(''), ...CLASS_METRICS.map((m) => cell(metric(metrics.macro_average[m])))].join(' '),
  ];
}

/** Four decimals; `-` for a metric that is undefined. */
function metric(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function confusionLines({ classes, predicted, counts }: BenchmarkMetrics['confusion_matrix']): string[] {
  const width = Math.max(...predicted.map((c) => c.length), ...counts.flat().map((n) => String(n).length));
  return [
    [''.padEnd(width), ...predicted.map((c) => c.padStart(width))].join(' '),
    ...classes.map((c, k) => [c.padEnd(width), ...counts[k]!.map((n) => String(n).padStart(width))].join(' ')),
  ];
}
