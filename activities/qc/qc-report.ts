import type { DuplicateGroupRow, QcFlagRow } from '../../schemas/cases.ts';
import type { QcScores } from '../../schemas/records.ts';
import { barChartSvg, binCounts } from '../storage/html/bar-chart.ts';
import { escapeHtml as esc } from '../storage/html/escape-html.ts';
import { datasetSizes, type QcCheck, type QcCheckSetting } from '../../schemas/qc-checks.ts';

export interface ReportImage {
  deidSha256: string;
  centre: string;
  imageType: string;
  scores: QcScores;
}

export interface QcReportInput {
  title: string;
  checks: readonly QcCheck[];
  settings: Readonly<Record<string, QcCheckSetting | undefined>>;
  images: readonly ReportImage[];
  flags: readonly QcFlagRow[];
  duplicates: readonly DuplicateGroupRow[];
  /** small JPEG thumbnails of the flagged images and duplicate members, by de-identified sha256 */
  thumbnails: ReadonlyMap<string, Buffer>;
}

const BINS = 24;

/**
 * A self-contained HTML page (inline CSS, SVG histograms, base64 thumbnails) for curators: counts
 * per check and action, the distribution of every raw score with its threshold, thumbnails of every
 * flagged image grouped by check, and duplicate groups side by side. Images are named by centre,
 * public id when released, and de-identified hash: never by a source filename.
 */
/** Thumbnails shown per check, and duplicate groups shown: a page people read, not a copy of the dataset (a scale-up flags tens of thousands). */
export const TILES_PER_CHECK = 300;
export const GROUPS_SHOWN = 200;

function flagsByCheck(flags: readonly QcFlagRow[]): Map<string, QcFlagRow[]> {
  const byCheck = new Map<string, QcFlagRow[]>();
  for (const flag of flags) {
    const list = byCheck.get(flag.check);
    if (list) list.push(flag);
    else byCheck.set(flag.check, [flag]);
  }
  return byCheck;
}

/** The de-identified images the report shows a thumbnail of (the first TILES_PER_CHECK of each check, members of the first GROUPS_SHOWN groups). */
export function shownImages(flags: readonly QcFlagRow[], duplicates: readonly DuplicateGroupRow[]): string[] {
  const shown = new Set<string>();
  for (const list of flagsByCheck(flags).values()) for (const flag of list.slice(0, TILES_PER_CHECK)) shown.add(flag.deidSha256);
  for (const group of duplicates.slice(0, GROUPS_SHOWN)) for (const member of group.members) shown.add(member);
  return [...shown].sort();
}

const more = (n: number, what: string) => (n > 0 ? `<p class="more">… and ${n} more ${what} (every score is in the private lake)</p>` : '');

export function qcReportHtml(input: QcReportInput): string {
  const byCheck = flagsByCheck(input.flags);
  const images = new Map(input.images.map((i) => [i.deidSha256, i]));
  const sizes = datasetSizes(input.images.map((i) => i.scores));
  const rows = input.checks.map((check) => {
    const setting = input.settings[check.name];
    const flags = byCheck.get(check.name) ?? [];
    return `<tr><td>${esc(check.name)}</td><td>${esc(check.describe)}</td><td>${setting?.threshold ?? check.threshold}</td><td>${setting?.action ?? check.action}</td><td class="n">${flags.filter((f) => f.action === 'exclude').length}</td><td class="n">${flags.filter((f) => f.action === 'warn').length}</td></tr>`;
  });
  const histograms = input.checks.map((check) => {
    const scores = input.images.map((i) => check.score(i.scores, i.imageType, sizes)).filter(Number.isFinite);
    return `<figure><figcaption>${esc(check.name)}</figcaption>${histogram(scores, input.settings[check.name]?.threshold ?? check.threshold)}</figure>`;
  });
  const flagged = input.checks
    .filter((check) => byCheck.has(check.name))
    .map((check) => {
      const all = byCheck.get(check.name)!;
      const tiles = all.slice(0, TILES_PER_CHECK).map((f) => tile(f.deidSha256, images.get(f.deidSha256), input.thumbnails, `${f.action}${f.isicId ? ` · ${f.isicId}` : ''} · score ${fmt(check.score(images.get(f.deidSha256)!.scores, f.imageType, sizes))}`));
      return `<section class="check" id="check-${esc(check.name)}"><h3>${esc(check.name)} (${all.length})</h3><div class="tiles">${tiles.join('')}</div>${more(all.length - tiles.length, 'images')}</section>`;
    });
  const duplicates = input.duplicates.slice(0, GROUPS_SHOWN).map(
    (group, g) =>
      `<div class="group${group.crossLesion ? ' cross' : ''}"><h4>group ${g + 1}: ${group.kind}, distance ≤ ${group.maxDistance}, aligned correlation ≥ ${fmt(group.minScore)}${group.crossLesion ? ', across lesions: review' : ', same lesion'}</h4><div class="tiles">${group.members
        .map((m) => tile(m, images.get(m), input.thumbnails, ''))
        .join('')}</div></div>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
td.n{text-align:right}.hist{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:600}
.tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{width:140px;font-size:11px}.tile img{width:140px;height:105px;object-fit:cover;display:block;background:#eee}
.group{border:1px solid #ccc;padding:8px;margin:8px 0}.group.cross{border-color:#c33}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p>${input.images.length} images measured; ${new Set(input.flags.map((f) => f.deidSha256)).size} flagged; ${input.duplicates.length} duplicate groups (${input.duplicates.filter((d) => d.crossLesion).length} across lesions).</p>
<h2>Checks</h2>
<table><thead><tr><th>check</th><th>score</th><th>threshold</th><th>action</th><th>excluded</th><th>warned</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<h2>Score distributions</h2><div class="hist">${histograms.join('')}</div>
<h2>Flagged images</h2>${flagged.join('') || '<p>none</p>'}
<h2>Duplicate groups</h2>${duplicates.join('') || '<p>none</p>'}${more(input.duplicates.length - GROUPS_SHOWN, 'duplicate groups')}
<script>
addEventListener('load', () => {
  const images = [...document.querySelectorAll('img')];
  document.body.dataset.imagesLoaded = String(images.filter((i) => i.complete && i.naturalWidth > 0).length);
  document.body.dataset.images = String(images.length);
});
</script>
</body></html>
`;
}

function tile(sha: string, image: ReportImage | undefined, thumbnails: ReadonlyMap<string, Buffer>, caption: string): string {
  const thumbnail = thumbnails.get(sha);
  const src = thumbnail ? `data:image/jpeg;base64,${thumbnail.toString('base64')}` : '';
  return `<div class="tile"><img alt="${esc(sha.slice(0, 12))}" src="${src}"><div>${esc(image?.centre ?? '')} · ${esc(image?.imageType ?? '')} · ${esc(sha.slice(0, 12))}</div><div>${esc(caption)}</div></div>`;
}

function histogram(values: number[], threshold: number): string {
  const width = 240;
  const height = 80;
  if (values.length === 0) return `<svg width="${width}" height="${height}"></svg>`;
  // A reduce, not Math.min(...values): spreading 100,000 scores into arguments overflows the stack.
  const lo = values.reduce((a, b) => Math.min(a, b), threshold);
  const hi = values.reduce((a, b) => Math.max(a, b), threshold);
  const bins = binCounts(values, lo, hi, BINS).map((c) => ({ bars: [{ value: c, fill: '#6a8caf', title: String(c) }] }));
  const x = ((threshold - lo) / (hi - lo || 1)) * width;
  return barChartSvg(bins, { width, height, footer: 14 }, `<line x1="${x}" x2="${x}" y1="0" y2="${height - 14}" stroke="#c33" stroke-width="2"/><text x="0" y="${height - 2}" font-size="10">${fmt(lo)}</text><text x="${width}" y="${height - 2}" font-size="10" text-anchor="end">${fmt(hi)}</text>`);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));
