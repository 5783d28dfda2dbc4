import { escapeHtml } from './escape-html.ts';

/** One bar; `attributes` become `data-*` attributes of its rect, so a page can be checked by what it shows. */
export interface Bar {
  value: number;
  fill: string;
  title: string;
  attributes?: Readonly<Record<string, string | number>>;
}

/** Bars drawn side by side in one slot of the x axis (a histogram bin has one, a category one per split). */
export interface BarGroup {
  label?: string;
  bars: readonly Bar[];
}

export interface ChartFrame {
  width: number;
  height: number;
  /** pixels under the bars for labels */
  footer: number;
  /** share of each slot left empty on either side, so neighbouring groups stand apart */
  padding?: number;
  /** the value of a full-height bar; the largest value when absent */
  max?: number;
}

/**
 * An inline SVG bar chart: one slot per group, its bars scaled to the frame, group labels slanted
 * under the axis, and `overlay` (lines or text in the same coordinates) drawn on top.
 */
export function barChartSvg(groups: readonly BarGroup[], frame: ChartFrame, overlay = ''): string {
  const plot = frame.height - frame.footer;
  const max = frame.max ?? Math.max(0, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const slot = frame.width / Math.max(1, groups.length);
  const inset = slot * (frame.padding ?? 0);
  const shapes = groups.map((group, g) => {
    const width = (slot - 2 * inset) / Math.max(1, group.bars.length);
    const rects = group.bars.map((bar, b) => {
      const h = max > 0 ? (bar.value / max) * plot : 0;
      const data = Object.entries(bar.attributes ?? {}).map(([k, v]) => ` data-${k}="${escapeHtml(String(v))}"`).join('');
      return `<rect${data} x="${g * slot + inset + b * width}" y="${plot - h}" width="${width - 1}" height="${h}" fill="${bar.fill}"><title>${escapeHtml(bar.title)}</title></rect>`;
    });
    const x = g * slot + slot / 2;
    const label = group.label === undefined ? '' : `<text x="${x}" y="${plot + 10}" font-size="10" text-anchor="end" transform="rotate(-40 ${x} ${plot + 10})">${escapeHtml(group.label)}</text>`;
    return rects.join('') + label;
  });
  return `<svg width="${frame.width}" height="${frame.height}" role="img">${shapes.join('')}${overlay}</svg>`;
}

/** How many values fall into each of `bins` equal bins from lo to hi (hi itself in the last bin). */
export function binCounts(values: readonly number[], lo: number, hi: number, bins: number): number[] {
  const span = hi - lo || 1;
  const counts = new Array<number>(bins).fill(0);
  // multiply before dividing: whole-number edges (ages in 5-year bins) land exactly in their bin
  for (const v of values) counts[Math.max(0, Math.min(bins - 1, Math.floor(((v - lo) * bins) / span)))]!++;
  return counts;
}
