import { barChartSvg, binCounts } from '../storage/html/bar-chart.ts';
import { escapeHtml as esc } from '../storage/html/escape-html.ts';

const BINS = 24;
/** A range wider than this many times its smallest value is drawn on a log scale (blur spans 6 to 7,937). */
const LOG_RANGE = 100;
const FRAME = { width: 340, height: 190, left: 48, right: 14, top: 22, bottom: 40 };

export interface HistogramAxis {
  /** what the x axis measures, with its unit */
  label: string;
  threshold: number;
  /** e.g. 'exclude' or 'warn', written beside the threshold */
  action: string;
  /** never a log scale (scores bounded by 0 and 1) */
  linear?: boolean;
}

/**
 * A histogram a reader can read off: counts on a labelled y axis, the score and its unit on a
 * ticked x axis (log scale where the range needs it), and the threshold drawn and labelled.
 */
export function scoreHistogram(values: readonly number[], axis: HistogramAxis): string {
  const { width, height, left, right, top, bottom } = FRAME;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  // A reduce, not Math.min(...values): spreading 100,000 scores into arguments overflows the stack.
  const lo = values.reduce((a, b) => Math.min(a, b), axis.threshold);
  const hi = values.reduce((a, b) => Math.max(a, b), axis.threshold);
  const positiveLo = values.reduce((a, b) => (b > 0 ? Math.min(a, b) : a), axis.threshold > 0 ? axis.threshold : Infinity);
  const log = !axis.linear && Number.isFinite(positiveLo) && hi / positiveLo >= LOG_RANGE;
  // On a log scale, scores at or below the smallest positive one (a flat image's 0) fall in the first bin.
  const scale = log ? (v: number) => Math.log10(Math.max(v, positiveLo)) : (v: number) => v;
  const [from, to] = [scale(log ? positiveLo : lo), scale(hi)];
  const counts = binCounts(values.map(scale), from, to, BINS);
  const maxCount = Math.max(1, ...counts);
  const x = (v: number) => left + ((scale(v) - from) / (to - from || 1)) * plotWidth;
  const bars = barChartSvg(
    counts.map((c) => ({ bars: [{ value: c, fill: '#6a8caf', title: `${c} images` }] })),
    { width: plotWidth, height: plotHeight, footer: 0, max: maxCount },
  ).replace('<svg ', `<svg x="${left}" y="${top}" `);
  const xTicks = (log ? decades(positiveLo, hi) : linearTicks(lo, hi)).map(
    (v) => `<line x1="${x(v)}" x2="${x(v)}" y1="${top + plotHeight}" y2="${top + plotHeight + 4}" stroke="#333"/><text x="${x(v)}" y="${top + plotHeight + 15}" font-size="10" text-anchor="middle">${fmt(v)}</text>`,
  );
  const yTicks = [...new Set([0, Math.round(maxCount / 2), maxCount])].map((c) => {
    const y = top + plotHeight - (c / maxCount) * plotHeight;
    return `<line x1="${left - 4}" x2="${left}" y1="${y}" y2="${y}" stroke="#333"/><text x="${left - 6}" y="${y + 3}" font-size="10" text-anchor="end">${c}</text>`;
  });
  const t = x(axis.threshold);
  const anchor = t > left + plotWidth * 0.6 ? 'end' : 'start';
  const threshold = `<line class="threshold" x1="${t}" x2="${t}" y1="${top - 4}" y2="${top + plotHeight}" stroke="#c33" stroke-width="2" stroke-dasharray="4 2"/><text x="${t + (anchor === 'start' ? 3 : -3)}" y="${top - 8}" font-size="10" fill="#c33" text-anchor="${anchor}">threshold ${fmt(axis.threshold)} (${esc(axis.action)})</text>`;
  const axes = `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#333"/><line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#333"/>`;
  const labels = `<text x="${left + plotWidth / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${esc(axis.label)}${log ? ', log scale' : ''}</text><text transform="translate(12 ${top + plotHeight / 2}) rotate(-90)" font-size="11" text-anchor="middle">images</text>`;
  return `<svg class="histogram" data-scale="${log ? 'log' : 'linear'}" data-count="${values.length}" width="${width}" height="${height}" role="img">${bars}${axes}${xTicks.join('')}${yTicks.join('')}${threshold}${labels}</svg>`;
}

/** Powers of ten inside [lo, hi], with the ends when fewer than two fall inside. */
function decades(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.ceil(Math.log10(lo)); 10 ** e <= hi; e++) ticks.push(10 ** e);
  return ticks.length >= 2 ? ticks : [lo, ...ticks, hi];
}

function linearTicks(lo: number, hi: number): number[] {
  return lo === hi ? [lo] : [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4);
}

export const fmt = (v: number) => (Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
