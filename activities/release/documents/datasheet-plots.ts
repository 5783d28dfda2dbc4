import { SPLITS, type Split } from '../../../schemas/release.ts';
import { barChartSvg, binCounts } from '../../storage/html/bar-chart.ts';
import { escapeHtml } from '../../storage/html/escape-html.ts';

export const SPLIT_COLOURS: Record<Split, string> = { train: '#6a8caf', benchmark: '#d08c3f' };

/** How one variable is distributed on each split, over the same categories (or bins) in display order. */
export interface SplitDistribution {
  /** identifies the plot on the page (`data-plot`) */
  plot: string;
  title: string;
  /** what is counted: lesions or images */
  unit: string;
  categories: readonly string[];
  counts: Record<Split, readonly number[]>;
  /** said under the plot, e.g. how many values were missing */
  note?: string;
}

const UNKNOWN = 'unknown';

/**
 * The distribution of a categorical value per split: categories in `order` first (all of them, so a
 * vocabulary shows its empty classes), then any other value sorted, then `unknown` for missing values.
 */
export function categoryDistribution<Row extends { split: Split }>(
  rows: readonly Row[],
  value: (row: Row) => string | null,
  order: readonly string[] = [],
): Pick<SplitDistribution, 'categories' | 'counts'> {
  const values = rows.map((row) => value(row) ?? UNKNOWN);
  const seen = new Set(values);
  const others = [...seen].filter((v) => v !== UNKNOWN && !order.includes(v)).sort();
  const categories = [...order, ...others, ...(seen.has(UNKNOWN) ? [UNKNOWN] : [])];
  const counts = perSplit((split) => categories.map((c) => values.filter((v, i) => v === c && rows[i]!.split === split).length));
  return { categories, counts };
}

/** The distribution of a numeric value per split in `bins` equal bins from lo to hi; missing values are left out. */
export function binnedDistribution<Row extends { split: Split }>(
  rows: readonly Row[],
  value: (row: Row) => number | null,
  range: { lo: number; hi: number; bins: number; label: (lo: number, hi: number) => string },
): Pick<SplitDistribution, 'categories' | 'counts'> {
  const width = (range.hi - range.lo) / range.bins;
  const categories = Array.from({ length: range.bins }, (_, i) => range.label(range.lo + i * width, range.lo + (i + 1) * width));
  const counts = perSplit((split) => binCounts(rows.filter((r) => r.split === split).map(value).filter((v) => v !== null), range.lo, range.hi, range.bins));
  return { categories, counts };
}

const perSplit = (count: (split: Split) => number[]) => Object.fromEntries(SPLITS.map((s) => [s, count(s)])) as Record<Split, number[]>;

const SLOT = 30;
const HEIGHT = 200;
const FOOTER = 70;

/**
 * A figure comparing the splits: per category one bar per split, as its share of the split's total
 * (the splits differ in size), each bar carrying its split, category and count for the reader and
 * for checks of the page.
 */
export function splitBarChart(d: SplitDistribution): string {
  const totals = perSplit((split) => [d.counts[split].reduce((a, b) => a + b, 0)]);
  const share = (split: Split, i: number) => (totals[split][0]! > 0 ? d.counts[split][i]! / totals[split][0]! : 0);
  const groups = d.categories.map((category, i) => ({
    label: category,
    bars: SPLITS.map((split) => ({
      value: share(split, i),
      fill: SPLIT_COLOURS[split],
      title: `${split} · ${category}: ${d.counts[split][i]} ${d.unit} (${(100 * share(split, i)).toFixed(1)}%)`,
      attributes: { split, category, count: d.counts[split][i]! },
    })),
  }));
  const svg = barChartSvg(groups, { width: Math.max(240, SLOT * d.categories.length), height: HEIGHT, footer: FOOTER, padding: 0.1 });
  const note = d.note ? `<p class="note">${escapeHtml(d.note)}</p>` : '';
  return `<figure class="plot" data-plot="${escapeHtml(d.plot)}"><figcaption>${escapeHtml(d.title)} <span class="unit">(share of ${escapeHtml(d.unit)} per split)</span></figcaption>${svg}${note}</figure>`;
}

/** The colour key of the split plots, with each split's size. */
export function splitLegend(sizes: Record<Split, string>): string {
  const items = SPLITS.map((split) => `<span class="key"><svg width="12" height="12"><rect width="12" height="12" fill="${SPLIT_COLOURS[split]}"/></svg> ${split}: ${escapeHtml(sizes[split])}</span>`);
  return `<p class="legend">${items.join(' ')}</p>`;
}
