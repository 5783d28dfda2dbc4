import type { ClassScore, ScoreReport } from '../../schemas/benchmark-score.ts';

/** A score report for a terminal: the headline metrics, a table per class, then the confusion matrix. */
export function formatScore(report: ScoreReport): string {
  const present = report.perClass.length - report.absentClasses.length;
  const absent = report.absentClasses.length > 0 ? `; absent from the ground truth: ${report.absentClasses.join(', ')}` : '';
  const classWidth = Math.max(...report.perClass.map((c) => c.class.length), 'class'.length);
  const table = [
    ['class'.padEnd(classWidth), ...COLUMNS.map(([title]) => title.padStart(11))].join(' '),
    ...report.perClass.map((c) =>
      [c.class.padEnd(classWidth), ...COLUMNS.map(([, cell]) => cell(c).padStart(11)), c.present ? '' : ' (absent)'].join(' ').trimEnd(),
    ),
  ];
  return [
    `${report.lesions} lesions scored, ${present} of ${report.perClass.length} classes present${absent}`,
    `balanced accuracy  ${metric(report.balancedAccuracy)}`,
    `macro F1 (Dice)    ${metric(report.macroF1)}`,
    `macro AUC          ${metric(report.macroAuc)} (over ${report.aucClasses} classes with positives and negatives)`,
    '',
    ...table,
    '',
    'confusion matrix (rows: true class, columns: predicted class)',
    ...confusionLines(report.confusionMatrix),
  ].join('\n');
}

const COLUMNS: [string, (c: ClassScore) => string][] = [
  ['lesions', (c) => String(c.lesions)],
  ['predicted', (c) => String(c.predicted)],
  ['sensitivity', (c) => metric(c.sensitivity)],
  ['specificity', (c) => metric(c.specificity)],
  ['F1', (c) => metric(c.f1)],
  ['AUC', (c) => metric(c.auc)],
];

/** Four decimals; `-` for a metric that is undefined (no positives or no negatives). */
function metric(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

function confusionLines({ classes, counts }: ScoreReport['confusionMatrix']): string[] {
  const width = Math.max(...classes.map((c) => c.length), ...counts.flat().map((n) => String(n).length));
  return [
    [''.padEnd(width), ...classes.map((c) => c.padStart(width))].join(' '),
    ...classes.map((c, k) => [c.padEnd(width), ...counts[k]!.map((n) => String(n).padStart(width))].join(' ')),
  ];
}
