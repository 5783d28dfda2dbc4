import type { DuplicateGroupRow, QcFlagRow } from '../../schemas/cases.ts';
import type { QcScores } from '../../schemas/records.ts';
import type { ReviewDecision, ReviewSubject } from '../../schemas/review.ts';
import { escapeHtml as esc } from '../storage/html/escape-html.ts';
import { pairSubject, subjectKey } from '../storage/review-log.ts';
import { datasetSizes, PHI_IN_PIXELS, type QcCheck, type QcCheckSetting } from '../../schemas/qc-checks.ts';
import { readsAsText, type TextRegion } from '../../schemas/text-findings.ts';
import { fmt, scoreHistogram } from './score-histogram.ts';
import { REVIEW_SCRIPT } from './review-script.ts';

export interface ReportImage {
  deidSha256: string;
  centre: string;
  imageType: string;
  scores: QcScores;
  /** where text was detected (boxes and scores only: what was read is never shown) */
  textRegions?: readonly TextRegion[];
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
  /** the public ids of the released images, by de-identified sha256 (byte-identical copies share one sha256, each has its id) */
  isicIds: ReadonlyMap<string, readonly string[]>;
  /** curators' decisions in effect, by subject key (review-log.ts), shown beside what they decide */
  decisions?: ReadonlyMap<string, ReviewDecision>;
  /** set by `milk review`: the page gets decision controls that record decisions as this reviewer */
  reviewer?: string;
}

/** Thumbnails shown per check, and duplicate groups shown: a page people read, not a copy of the dataset (a scale-up flags tens of thousands). */
export const TILES_PER_CHECK = 300;
export const GROUPS_SHOWN = 200;
/** Confirmed pairs listed per group. */
const PAIRS_PER_GROUP = 120;

/** The unit of each check's score, for the axis; scores bounded by 0 and 1 stay on a linear scale (a log one would stretch their zeros). */
const AXES: Readonly<Record<string, { unit: string; bounded?: true }>> = {
  'too-small': { unit: 'pixels' },
  'odd-aspect-ratio': { unit: 'ratio, 0-1', bounded: true },
  'too-dark': { unit: 'brightness, 0-1', bounded: true },
  'too-light': { unit: '1 - brightness, 0-1', bounded: true },
  'low-information': { unit: '0-1', bounded: true },
  'odd-size': { unit: 'octaves from the median size' },
  blurry: { unit: 'luma levels²' },
  'blurry-fine-detail': { unit: 'ratio' },
  grayscale: { unit: 'share of pixels, 0-1', bounded: true },
  'colour-cast': { unit: 'ΔE*ab' },
  'modality-mismatch': { unit: '0-1', bounded: true },
  'burned-in-text': { unit: 'recognition confidence, 0-1', bounded: true },
};

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

/**
 * A self-contained HTML page (inline CSS, SVG histograms, base64 thumbnails) for curators: counts
 * per check and action, the distribution of every raw score with its threshold, thumbnails of every
 * flagged image grouped by check (each labelled with its ISIC id, centre and score), and duplicate
 * groups side by side with the pHash distance of every pair. Images are named by centre, public id
 * when released, and de-identified hash: never by a source filename. With a `reviewer` it is the
 * page of `milk review`: accept / exclude / not-a-duplicate controls with a note.
 */
export function qcReportHtml(input: QcReportInput): string {
  const byCheck = flagsByCheck(input.flags);
  const images = new Map(input.images.map((i) => [i.deidSha256, i]));
  const decisions = input.decisions ?? new Map<string, ReviewDecision>();
  const interactive = input.reviewer !== undefined;
  const reviewBlock = (subjects: ReviewSubject[], verdicts: [ReviewDecision['decision'], string][]) => {
    const decided = subjects.map((s) => decisions.get(subjectKey(s)));
    const shown = decided.every((d) => d !== undefined && d.decision === decided[0]!.decision) ? decided[0] : undefined;
    // Names and notes stay on the private side (the review page, milk audit): the written report says what was decided, and when.
    const when = shown && `${shown.at.slice(0, 16).replace('T', ' ')} UTC`;
    const status = shown ? (interactive ? `${shown.decision} by ${shown.reviewer}, ${when}${shown.note ? `: ${shown.note}` : ''}` : `${shown.decision} (curator decision, ${when})`) : decided.some(Boolean) ? 'partly reviewed' : 'open';
    const controls = interactive ? `<input class="note" placeholder="note (why)" maxlength="2000">${verdicts.map(([d, label]) => `<button type="button" data-decision="${d}">${esc(label)}</button>`).join('')}` : '';
    return `<div class="review" data-subjects="${esc(JSON.stringify(subjects))}" data-decision="${shown?.decision ?? ''}"><span class="status">${esc(status)}</span>${controls}</div>`;
  };

  const sizes = datasetSizes(input.images.map((i) => i.scores));
  const rows = input.checks.map((check) => {
    const setting = input.settings[check.name];
    const flags = byCheck.get(check.name) ?? [];
    return `<tr><td>${esc(check.name)}</td><td>${esc(check.describe)}</td><td>${setting?.threshold ?? check.threshold}</td><td>${setting?.action ?? check.action}</td><td class="n">${flags.filter((f) => f.action === 'exclude').length}</td><td class="n">${flags.filter((f) => f.action === 'warn').length}</td></tr>`;
  });
  rows.push(`<tr><td>${PHI_IN_PIXELS.name}</td><td>${esc(PHI_IN_PIXELS.describe)}</td><td>match</td><td>exclude</td><td class="n">${byCheck.get(PHI_IN_PIXELS.name)?.length ?? 0}</td><td class="n">0</td></tr>`);
  const histograms = input.checks.map((check) => {
    const scores = input.images.map((i) => check.score(i.scores, i.imageType, sizes)).filter(Number.isFinite);
    const unit = AXES[check.name]?.unit;
    const axis = { label: `${check.name} score${unit ? ` (${unit})` : ''}`, linear: AXES[check.name]?.bounded, threshold: input.settings[check.name]?.threshold ?? check.threshold, action: input.settings[check.name]?.action ?? check.action };
    return `<figure id="histogram-${esc(check.name)}"><figcaption>${esc(check.name)}: ${esc(check.describe)}; ${scores.length} images</figcaption>${scoreHistogram(scores, axis)}</figure>`;
  });
  const flagged = [PHI_IN_PIXELS, ...input.checks]
    .filter((check) => byCheck.has(check.name))
    .map((check) => {
      const all = byCheck.get(check.name)!;
      // Text checks draw where the text is: a curator judges a box, never the text the model read.
      const boxed = check.name === PHI_IN_PIXELS.name || check.name === 'burned-in-text';
      const tiles = all.slice(0, TILES_PER_CHECK).map((f) => {
        const image = images.get(f.deidSha256);
        const score = !('score' in check) ? 'match' : image ? fmt(check.score(image.scores, f.imageType, sizes)) : '?';
        const verdicts: [ReviewDecision['decision'], string][] = [['accept', 'accept (clear flag)'], ['exclude', 'exclude']];
        const unit = AXES[check.name]?.unit.replace(/, 0-1$|^0-1$/, '');
        const boxes = boxed ? (image?.textRegions ?? []) : [];
        return tile(f.deidSha256, f.isicId ?? input.isicIds.get(f.deidSha256)?.[0], image, input.thumbnails, `${check.name}: ${score}${unit ? ` ${unit}` : ''} · ${f.action}`, reviewBlock([{ kind: 'image', image: f.deidSha256, check: check.name }], verdicts), boxes);
      });
      return `<section class="check" id="check-${esc(check.name)}"><h3>${esc(check.name)} (${all.length})</h3><div class="tiles">${tiles.join('')}</div>${more(all.length - tiles.length, 'images')}</section>`;
    });
  const duplicates = input.duplicates.slice(0, GROUPS_SHOWN).map((group, g) => {
    // the k-th copy of a sha256 in the group is its k-th released id
    const idAt = group.members.map((m, i) => input.isicIds.get(m)?.[group.members.slice(0, i).filter((o) => o === m).length]);
    const label = (i: number) => esc(idAt[i] ?? `not released ${group.members[i]!.slice(0, 8)}`);
    // a pair of byte-identical copies names the same sha256 twice: its second side is the next copy
    const at = (sha: string, after = -1) => group.members.findIndex((m, k) => k > after && m === sha);
    const pairRows = group.pairs.slice(0, PAIRS_PER_GROUP).map((pair) => {
      const i = at(pair.a);
      const j = pair.a === pair.b ? at(pair.b, i) : at(pair.b);
      const review = reviewBlock([pairSubject(pair.a, pair.b)], [['accept', 'duplicate'], ['not-a-duplicate', 'not a duplicate']]);
      return `<tr><td>${label(i)}</td><td>${label(j)}</td><td class="n">${pair.distance}</td><td class="n">${pair.score.toFixed(3)}${pair.mirrored ? ' (mirrored)' : ''}</td><td>${review}</td></tr>`;
    });
    const members = group.members.map((m, i) => tile(m, idAt[i], images.get(m), input.thumbnails, '', reviewBlock([{ kind: 'image', image: m, ...(idAt[i] && { isicId: idAt[i] }) }], [['exclude', 'exclude']])));
    const pairSubjects = [...new Map(group.pairs.map((p) => pairSubject(p.a, p.b)).map((s) => [subjectKey(s), s])).values()];
    const whole = interactive && group.pairs.length > 1 ? `<div class="whole">whole group: ${reviewBlock(pairSubjects, [['accept', 'all duplicates'], ['not-a-duplicate', 'none are duplicates']])}</div>` : '';
    return `<div class="group${group.crossLesion ? ' cross' : ''}" id="group-${g + 1}"><h4>group ${g + 1}: ${group.kind}, distance ≤ ${group.maxDistance}, aligned correlation ≥ ${fmt(group.minScore)}${group.crossLesion ? ', across lesions: review' : ', same lesion'}</h4><div class="tiles">${members.join('')}</div>
<table class="pairs"><thead><tr><th>image</th><th>image</th><th>pHash distance (bits of 64)</th><th>aligned correlation (confirmed at ≥ the threshold)</th><th>review</th></tr></thead><tbody>${pairRows.join('')}</tbody></table>${more(group.pairs.length - pairRows.length, 'pairs')}${whole}</div>`;
  });
  const heading = interactive
    ? `<p class="reviewer">Reviewing as <b>${esc(input.reviewer!)}</b>. Each decision is recorded at once (private, append-only, with your name, the time and your note) and applied by the next build: an exclusion as <code>curator-excluded</code>, an accepted flag cleared, a pair that is not a duplicate split.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
td.n{text-align:right}.hist{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:600;max-width:340px;font-size:12px}
.tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{width:160px;font-size:11px}.tile img{width:160px;height:120px;object-fit:cover;display:block;background:#eee}.tile .id{font-weight:600;font-size:12px}
.group{border:1px solid #ccc;padding:8px;margin:8px 0}.group.cross{border-color:#c33}.pairs{margin-top:6px;font-size:12px}
.review{margin-top:2px}.review .status{display:block;color:#555}.review[data-decision="exclude"] .status,.review[data-decision="not-a-duplicate"] .status{color:#b00}.review[data-decision="accept"] .status{color:#070}
.boxed{position:relative}.boxed img{object-fit:fill}.boxed svg{position:absolute;inset:0;width:160px;height:120px}
.review input{width:150px;font-size:11px}.review button{font-size:11px;margin:2px 2px 0 0}
</style></head><body>
<h1>${esc(input.title)}</h1>${heading}
<p>${input.images.length} images measured; ${new Set(input.flags.map((f) => f.deidSha256)).size} flagged; ${input.duplicates.length} duplicate groups (${input.duplicates.filter((d) => d.crossLesion).length} across lesions); ${decisions.size} curator decisions in effect.</p>
<h2>Checks</h2>
<table><thead><tr><th>check</th><th>score</th><th>threshold</th><th>action</th><th>excluded</th><th>warned</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<h2>Score distributions</h2><p>Images per score bin; the red dashed line is the threshold.</p><div class="hist">${histograms.join('')}</div>
<h2>Flagged images</h2>${flagged.join('') || '<p>none</p>'}
<h2>Duplicate groups</h2>${duplicates.join('') || '<p>none</p>'}${more(input.duplicates.length - GROUPS_SHOWN, 'duplicate groups')}
<script>
addEventListener('load', () => {
  const images = [...document.querySelectorAll('img')];
  document.body.dataset.imagesLoaded = String(images.filter((i) => i.complete && i.naturalWidth > 0).length);
  document.body.dataset.images = String(images.length);
});
</script>${interactive ? `\n<script>${REVIEW_SCRIPT}</script>` : ''}
</body></html>
`;
}

function tile(sha: string, isicId: string | undefined, image: ReportImage | undefined, thumbnails: ReadonlyMap<string, Buffer>, caption: string, review: string, boxes: readonly TextRegion[] = []): string {
  const thumbnail = thumbnails.get(sha);
  const src = thumbnail ? `data:image/jpeg;base64,${thumbnail.toString('base64')}` : '';
  const img = `<img alt="${esc(isicId ?? sha.slice(0, 12))}" src="${src}">`;
  return `<div class="tile" data-sha="${esc(sha)}" data-isic-id="${esc(isicId ?? '')}">${boxes.length > 0 ? textOverlay(img, boxes) : img}<div class="id">${esc(isicId ?? 'not released')}</div><div>${esc(image?.centre ?? '')} · ${esc(image?.imageType ?? '')} · ${esc(sha.slice(0, 8))}</div>${caption ? `<div>${esc(caption)}</div>` : ''}${review}</div>`;
}

/**
 * The thumbnail with its text regions drawn over it (an SVG in the image's own fractions, the image
 * stretched to the tile so they line up): solid red where the recogniser read text, dashed where it did not.
 */
function textOverlay(img: string, regions: readonly TextRegion[]): string {
  const rects = regions.map(({ box: [left, top, right, bottom], ...region }) => {
    const style = readsAsText({ box: [left, top, right, bottom], ...region }) ? 'stroke="#e00"' : 'stroke="#fc0" stroke-dasharray="3 2"';
    return `<rect class="text-box" x="${left}" y="${top}" width="${(right - left).toFixed(3)}" height="${(bottom - top).toFixed(3)}" fill="none" ${style} stroke-width="2" vector-effect="non-scaling-stroke"><title>box score ${fmt(region.score)}, read ${region.characters} characters with confidence ${fmt(region.confidence)}</title></rect>`;
  });
  return `<div class="boxed">${img}<svg viewBox="0 0 1 1" preserveAspectRatio="none">${rects.join('')}</svg></div>`;
}
