import { CLASS_METRICS, type Interval, type PairedComparison, type ReaderStudy, type ScoreReport, type Subgroup } from '../../schemas/benchmark-score.ts';
import { CLASSES } from '../../schemas/release.ts';
import { escapeHtml as esc } from '../storage/html/escape-html.ts';
import type { RocPoint } from './ranking-metrics.ts';

/**
 * The score report as one self-contained HTML page (inline CSS and SVG, no script, nothing to
 * fetch), for people rather than programs: the headline with its interval, the per-class table,
 * the arg-max confusion matrix as a heat map, each class's ROC curve, subgroups with intervals, and
 * the comparison and reader study when there are any. `rocs` are by CLASSES index.
 */
export function scoreReportHtml(report: ScoreReport, rocs: readonly (RocPoint[] | null)[], title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.2rem .5rem;text-align:right;border-bottom:1px solid #ddd}
th:first-child,td:first-child{text-align:left}.ci{color:#666;font-size:90%}.headline{font-size:2rem;font-weight:600}
.rocs{display:flex;flex-wrap:wrap;gap:1rem}.rocs figure{margin:0;width:200px}figcaption{text-align:center}
</style></head><body>
<h1>${esc(title)}</h1>
${headline(report)}
${classTable(report)}
${confusionHeatMap(report)}
${rocSection(rocs, report)}
${report.subgroups ? subgroupSection(report.subgroups) : ''}
${report.comparison ? comparisonSection(report.comparison) : ''}
${report.reader_study ? readerSection(report.reader_study) : ''}
</body></html>
`;
}

const metric = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value.toFixed(4));
const interval = (value: Interval | undefined) => (value ? `${value.low.toFixed(4)} – ${value.high.toFixed(4)}` : '');
const withInterval = (value: number | null, ci: Interval | undefined) => `${metric(value)}${ci ? ` <span class="ci">[${interval(ci)}]</span>` : ''}`;
const signed = (value: number) => (value >= 0 ? `+${value.toFixed(4)}` : value.toFixed(4));

function headline(report: ScoreReport): string {
  const level = report.intervals ? `${report.intervals.level * 100}% bootstrap interval over ${report.intervals.resamples} lesion-level resamples (seed ${report.intervals.seed})` : 'no intervals (--bootstrap 0)';
  return `<section id="headline"><h2>Headline</h2>
<p>Macro Dice, each class binarised on its own at p &gt; 0.5 (the official MILK10k metric):</p>
<p class="headline" data-overall="${report.overall}">${metric(report.overall)}${report.intervals?.overall ? ` <span class="ci" data-interval="overall">[${interval(report.intervals.overall)}]</span>` : ''}</p>
<p>${level}. Balanced accuracy (arg-max; a tied top probability counts as wrong): ${withInterval(report.aggregate.balanced_accuracy, report.intervals?.aggregate.balanced_accuracy)}.
${report.lesions} lesions, ${CLASSES.length - report.absent_classes.length} of ${CLASSES.length} classes present${report.absent_classes.length > 0 ? ` (absent, left out of every average: ${esc(report.absent_classes.join(', '))})` : ''}; ${report.undecided} undecided.</p>
</section>`;
}

function classTable(report: ScoreReport): string {
  const rows = report.classes.map(
    ({ class: cls, lesions, predicted }) =>
      `<tr data-class="${cls}"><td>${cls}</td><td>${lesions}</td><td>${predicted}</td>${CLASS_METRICS.map((m) => `<td>${metric(report.per_category[m][cls])}</td>`).join('')}<td class="ci">${interval(report.intervals?.per_category.dice[cls] ?? undefined)}</td></tr>`,
  );
  const macro = `<tr data-class="macro"><th>macro</th><td></td><td></td>${CLASS_METRICS.map((m) => `<td>${metric(report.macro_average[m])}</td>`).join('')}<td class="ci">${interval(report.intervals?.macro_average.dice ?? undefined)}</td></tr>`;
  return `<section id="per-class"><h2>Per class</h2>
<table><thead><tr><th>class</th><th>lesions</th><th>predicted</th>${CLASS_METRICS.map((m) => `<th>${m}</th>`).join('')}<th>dice interval</th></tr></thead>
<tbody>${rows.join('\n')}</tbody><tfoot>${macro}</tfoot></table>
<p>Predicted: lesions with the class's probability above 0.5. Undefined metrics (–) are those of a class with no lesion, or the AUCs of a class with no negatives.</p>
</section>`;
}

/** Cells shaded by the share of their row (true class), so rare classes read as clearly as common ones. */
function confusionHeatMap(report: ScoreReport): string {
  const { classes, predicted, counts } = report.confusion_matrix;
  const cell = 34;
  const [left, top] = [70, 90];
  const rects = classes.flatMap((t, r) => {
    const total = counts[r]!.reduce((a, b) => a + b, 0);
    return predicted.map((p, c) => {
      const n = counts[r]![c]!;
      const share = total > 0 ? n / total : 0;
      const fill = `rgba(31,119,180,${(0.08 + 0.92 * share).toFixed(3)})`;
      const x = left + c * cell;
      const y = top + r * cell;
      return `<rect x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${total > 0 ? fill : '#f4f4f4'}" data-true="${t}" data-predicted="${esc(p)}" data-count="${n}"><title>${t} → ${esc(p)}: ${n}</title></rect>${n > 0 ? `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="11" fill="${share > 0.5 ? '#fff' : '#222'}">${n}</text>` : ''}`;
    });
  });
  const rowLabels = classes.map((t, r) => `<text x="${left - 6}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${t}</text>`);
  const columnLabels = predicted.map((p, c) => `<text transform="translate(${left + c * cell + cell / 2 + 4},${top - 6}) rotate(-60)" font-size="11">${esc(p)}</text>`);
  const width = left + predicted.length * cell + 10;
  const height = top + classes.length * cell + 10;
  return `<section id="confusion"><h2>Confusion matrix (arg-max)</h2>
<figure class="heatmap"><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="confusion matrix">
${rowLabels.join('')}${columnLabels.join('')}${rects.join('')}</svg>
<figcaption>Rows: true class; columns: the class with the highest probability, or undecided when it is tied. Shade: share of the row.</figcaption></figure>
</section>`;
}

function rocSection(rocs: readonly (RocPoint[] | null)[], report: ScoreReport): string {
  const size = 180;
  const pad = 24;
  const figures = CLASSES.map((cls, k) => {
    const roc = rocs[k];
    if (!roc) return `<figure class="roc" data-class="${cls}" data-points="0"><p>${cls}: no curve (the class needs positives and negatives)</p></figure>`;
    const scale = (v: number) => (pad + v * (size - 2 * pad)).toFixed(1);
    const flip = (v: number) => (size - pad - v * (size - 2 * pad)).toFixed(1);
    const points = roc.map((p) => `${scale(p.fpr)},${flip(p.tpr)}`).join(' ');
    return `<figure class="roc" data-class="${cls}" data-points="${roc.length}"><svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="ROC curve of ${cls}">
<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#bbb"/>
<line x1="${scale(0)}" y1="${flip(0)}" x2="${scale(1)}" y2="${flip(1)}" stroke="#ccc" stroke-dasharray="3 3"/>
<line x1="${scale(0)}" y1="${flip(0.8)}" x2="${scale(1)}" y2="${flip(0.8)}" stroke="#e8a" stroke-dasharray="2 2"/>
<polyline points="${points}" fill="none" stroke="#1f77b4" stroke-width="2"/>
<text x="${size / 2}" y="${size - 6}" text-anchor="middle" font-size="10">1 − specificity</text>
<text transform="translate(10,${size / 2}) rotate(-90)" text-anchor="middle" font-size="10">sensitivity</text></svg>
<figcaption>${cls}: AUC ${metric(report.per_category.auc[cls])}, auc_sens_80 ${metric(report.per_category.auc_sens_80[cls])}</figcaption></figure>`;
  });
  return `<section id="roc"><h2>ROC curves</h2><p>One-vs-rest, from each class's probability; the dashed line marks 80% sensitivity, above which <code>auc_sens_80</code> is the raw area.</p>
<div class="rocs">${figures.join('\n')}</div></section>`;
}

function subgroupSection(subgroups: readonly Subgroup[]): string {
  const rows = subgroups.map(
    (s) =>
      `<tr data-attribute="${s.attribute}" data-value="${esc(s.value)}"><td>${s.attribute}</td><td>${esc(s.value)}</td><td>${s.lesions}</td><td>${CLASSES.length - s.absent_classes.length}</td><td>${withInterval(s.overall, s.intervals?.overall ?? undefined)}</td><td>${withInterval(s.aggregate.balanced_accuracy, s.intervals?.aggregate.balanced_accuracy ?? undefined)}</td><td>${withInterval(s.macro_average.auc, s.intervals?.macro_average.auc ?? undefined)}</td></tr>`,
  );
  return `<section id="subgroups"><h2>Subgroups</h2>
<table><thead><tr><th>attribute</th><th>value</th><th>lesions</th><th>classes</th><th>macro Dice</th><th>balanced accuracy</th><th>macro AUC</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>
<p>Each subgroup is scored on its own lesions; a class absent from it is left out of its averages. Small subgroups have wide intervals.</p>
</section>`;
}

function comparisonRow(c: PairedComparison, label: string): string {
  return `<tr><td>${esc(label)}</td><td>${c.lesions}</td><td>${metric(c.a_overall)}</td><td>${metric(c.b_overall)}</td><td>${signed(c.difference)}</td><td class="ci">${interval(c.interval ?? undefined)}</td><td>${c.p_value.toFixed(4)}</td></tr>`;
}

const COMPARISON_HEAD = '<thead><tr><th></th><th>lesions</th><th>macro Dice a</th><th>macro Dice b</th><th>a − b</th><th>interval</th><th>p</th></tr></thead>';

function comparisonSection(c: PairedComparison): string {
  return `<section id="comparison"><h2>Paired comparison</h2>
<p>a = ${esc(c.a)}, b = ${esc(c.b)}; interval from ${c.resamples} lesion-level resamples, p from a paired permutation test (${c.resamples} permutations, seed ${c.seed}).</p>
<table>${COMPARISON_HEAD}<tbody>${comparisonRow(c, 'a vs b')}</tbody></table></section>`;
}

function readerSection(study: ReaderStudy): string {
  const rows = study.readers.map((r) => comparisonRow(r.model_vs_reader, `${r.reader}${r.unread_lesion_ids.length > 0 ? ` (read ${r.lesion_ids.length} of ${r.lesion_ids.length + r.unread_lesion_ids.length})` : ''}`));
  return `<section id="readers"><h2>Reader study</h2>
<p>a = the model, b = the reader; each reader and the model are scored on the lesions that reader read. Reader mean macro Dice ${metric(study.reader_mean.overall)}, the model's on the same lesions ${metric(study.reader_mean.model_overall)}.</p>
<table>${COMPARISON_HEAD}<tbody>${rows.join('\n')}\n${comparisonRow(study.model_vs_readers, 'model vs reader mean')}</tbody></table></section>`;
}
