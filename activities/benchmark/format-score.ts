import { CLASS_METRICS, type BenchmarkMetrics, type Interval, type PairedComparison, type ReaderScore, type ReaderStudy, type ScoredSet, type ScoreReport, type Subgroup } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';

/**
 * A score report for a terminal: the headline, a table per class with the macro averages, the
 * arg-max confusion matrix, then intervals, subgroups and the comparison when there are any.
 */
export function formatScore(report: ScoreReport): string {
  return [
    ...formatMetrics(report),
    ...(report.intervals ? ['', ...intervalTable(report)] : []),
    ...(report.subgroups ? ['', ...subgroupTable(report.subgroups)] : []),
    ...(report.comparison ? ['', comparisonLine(report.comparison)] : []),
    ...(report.reader_study ? ['', ...readerLines(report.reader_study)] : []),
  ].join('\n');
}

function formatMetrics(metrics: ScoredSet): string[] {
  const present = CLASSES.length - metrics.absent_classes.length;
  const absent = metrics.absent_classes.length > 0 ? `; absent from the ground truth: ${metrics.absent_classes.join(', ')}` : '';
  const undecided = metrics.undecided > 0 ? ` (${metrics.undecided} lesion(s) with a tied top probability count as wrong)` : '';
  return [
    `${metrics.lesions} lesions scored, ${present} of ${CLASSES.length} classes present${absent}`,
    `macro Dice (p > 0.5)  ${metric(metrics.overall)}${withInterval(metrics.intervals?.overall)}`,
    `balanced accuracy     ${metric(metrics.aggregate.balanced_accuracy)}${withInterval(metrics.intervals?.aggregate.balanced_accuracy)}${undecided}`,
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

/** The per-class metrics whose intervals the terminal shows; `--json` and `--html` have them all. */
const INTERVAL_COLUMNS = ['dice', 'sensitivity', 'specificity', 'auc'] as const;

function intervalTable({ intervals }: ScoredSet): string[] {
  if (!intervals) return [];
  const width = Math.max(...CLASSES.map((c) => c.length), 'macro'.length);
  const cell = (text: string) => text.padStart(17);
  return [
    `${intervals.level * 100}% bootstrap intervals (${intervals.resamples} lesion-level resamples, seed ${intervals.seed})`,
    ['class'.padEnd(width), ...INTERVAL_COLUMNS.map(cell)].join(' '),
    ...CLASSES.map((c) => [c.padEnd(width), ...INTERVAL_COLUMNS.map((m) => cell(interval(intervals.per_category[m][c])))].join(' ')),
    ['macro'.padEnd(width), ...INTERVAL_COLUMNS.map((m) => cell(interval(intervals.macro_average[m])))].join(' '),
  ];
}

function subgroupTable(subgroups: readonly Subgroup[]): string[] {
  const valueWidth = Math.max(...subgroups.map((s) => `${s.attribute} ${s.value}`.length), 'subgroup'.length);
  const cell = (text: string, width = 27) => text.padStart(width);
  return [
    'subgroups (classes absent from a subgroup are left out of its averages)',
    ['subgroup'.padEnd(valueWidth), cell('lesions', 7), cell('classes', 7), cell('macro Dice'), cell('balanced accuracy'), cell('macro AUC')].join(' '),
    ...subgroups.map((s) =>
      [
        `${s.attribute} ${s.value}`.padEnd(valueWidth),
        cell(String(s.lesions), 7),
        cell(String(CLASSES.length - s.absent_classes.length), 7),
        cell(`${metric(s.overall)}${withInterval(s.intervals?.overall)}`),
        cell(`${metric(s.aggregate.balanced_accuracy)}${withInterval(s.intervals?.aggregate.balanced_accuracy)}`),
        cell(`${metric(s.macro_average.auc)}${withInterval(s.intervals?.macro_average.auc)}`),
      ].join(' '),
    ),
  ];
}

function comparisonLine(c: PairedComparison): string {
  return (
    `paired comparison over ${c.lesions} lesions: macro Dice ${c.a} ${metric(c.a_overall)} - ${c.b} ${metric(c.b_overall)} = ${signed(c.difference)}` +
    ` (${c.level * 100}% CI ${interval(c.interval, signed)}, ${c.resamples} resamples), p = ${c.p_value.toFixed(4)} (paired permutation test, ${c.resamples} permutations, seed ${c.seed})`
  );
}

/** A reader's unread lesions are named when they are few; `--json` lists the lesions each reader read. */
const NAMED_UNREAD = 10;

function readerLines(study: ReaderStudy): string[] {
  const width = Math.max(...study.readers.map((r) => r.reader.length), 'reader mean'.length, 'reader'.length);
  const cell = (text: string, w = 27) => text.padStart(w);
  return [
    'readers (each scored on the lesions they read; the model on the same lesions)',
    ['reader'.padEnd(width), cell('lesions', 7), cell('macro Dice'), cell('balanced accuracy', 17), cell('model macro Dice', 16), cell('model - reader'), cell('p', 6)].join(' '),
    ...study.readers.map((r) =>
      [
        r.reader.padEnd(width),
        cell(String(r.metrics.lesions), 7),
        cell(`${metric(r.metrics.overall)}${withInterval(r.metrics.intervals?.overall)}`),
        cell(metric(r.metrics.aggregate.balanced_accuracy), 17),
        cell(metric(r.model.overall), 16),
        cell(`${signed(r.model_vs_reader.difference)} [${interval(r.model_vs_reader.interval, signed)}]`),
        cell(r.model_vs_reader.p_value.toFixed(4), 6),
      ].join(' '),
    ),
    [
      'reader mean'.padEnd(width),
      cell('', 7),
      cell(metric(study.reader_mean.overall)),
      cell(metric(study.reader_mean.balanced_accuracy), 17),
      cell(metric(study.reader_mean.model_overall), 16),
      cell(`${signed(study.model_vs_readers.difference)} [${interval(study.model_vs_readers.interval, signed)}]`),
      cell(study.model_vs_readers.p_value.toFixed(4), 6),
    ].join(' '),
    ...study.readers.filter((r) => r.unread_lesion_ids.length > 0).map(unreadLine),
  ];
}

function unreadLine({ reader, lesion_ids, unread_lesion_ids: unread }: ReaderScore): string {
  const which = unread.length <= NAMED_UNREAD ? `: ${unread.join(', ')}` : ' (--json lists the lesions each reader read)';
  return `${reader} read ${lesion_ids.length} of ${lesion_ids.length + unread.length} lesions; not read ${unread.length}${which}`;
}

const signed = (value: number) => (value >= 0 ? `+${value.toFixed(4)}` : value.toFixed(4));
const interval = (value: Interval | undefined, format: (v: number) => string = (v) => v.toFixed(4)) => (value ? `${format(value.low)} to ${format(value.high)}` : '-');
const withInterval = (value: Interval | undefined) => (value ? ` [${interval(value)}]` : '');

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
