import { CLASSES, CONCEPT_COLUMNS, PublicLesion, SPLITS, type ConceptScores, type PublicDuplicate, type PublicExclusion, type PublicImage, type Split } from '../../../schemas/release.ts';
import { escapeHtml as esc } from '../../storage/html/escape-html.ts';
import type { ConceptModelDisclosure } from '../../../schemas/concept-model.ts';
import { conceptModelSummary } from './concept-model-disclosure.ts';
import type { deidentificationReport } from './deidentification-report.ts';
import { binnedDistribution, categoryDistribution, splitBarChart, splitLegend, type SplitDistribution } from './datasheet-plots.ts';

export const DATASHEET = 'DATASHEET.html';

/** A lesion as the datasheet counts it: no id, so no label can be tied to a lesion. */
export type DatasheetLesion = Pick<PublicLesion, 'centre' | 'diagnosis_class' | 'skin_tone_class' | 'site' | 'age_approx' | 'sex'> & { split: Split };
export type DatasheetImage = Pick<PublicImage, 'image_type' | 'qc_warnings'> & { split: Split; concepts: ConceptScores };

type DeidentificationReport = ReturnType<typeof deidentificationReport>;

export interface DatasheetInput {
  release: { name: string; version: string; contentHash: string; attribution: string; license: string; licenseUrl?: string };
  lesions: readonly DatasheetLesion[];
  images: readonly DatasheetImage[];
  exclusions: readonly PublicExclusion[];
  duplicates: readonly PublicDuplicate[];
  /** DEIDENTIFICATION_REPORT.json; without the leak scan when the datasheet is written before it (the scan then reads the datasheet too) */
  deidentification: Pick<DeidentificationReport, 'centres'> & Partial<Pick<DeidentificationReport, 'leakScan'>>;
  /** what produced the MONET_* columns */
  conceptModel: ConceptModelDisclosure;
}

/**
 * The release's datasheet ("Datasheets for Datasets", Gebru et al.) as one self-contained HTML page:
 * the seven sections filled from the data, and per-split plots of class, centre, skin tone, site,
 * age and the MONET concept scores. Aggregate counts only, no ids; pure and ordered, so identical
 * inputs give identical bytes.
 */
export function datasheetHtml(input: DatasheetInput): string {
  const { release } = input;
  const title = `${release.name} ${release.version}: datasheet`;
  const sections = [motivation, composition, collection, preprocessing, uses, distribution, maintenance].map((write) => write(input));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.45}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right}.plots{display:flex;flex-wrap:wrap;gap:20px}figure{margin:0}figcaption{font-weight:600}.unit,.note{font-weight:400;color:#555;font-size:12px}
.plot svg{overflow:visible;margin-left:36px}.legend .key{margin-right:16px}code{font-size:12px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>Content hash <code>${esc(release.contentHash)}</code>. Answers follow the questions of <em>Datasheets for Datasets</em> (Gebru et al., 2021); every number is computed from the release itself.</p>
${sections.join('\n')}
</body></html>
`;
}

/** Every skin tone class PublicLesion allows, so a plot shows the empty ones too. */
const TONE = PublicLesion.shape.skin_tone_class.unwrap();
const SKIN_TONES = Array.from({ length: TONE.maxValue! - TONE.minValue! + 1 }, (_, i) => String(TONE.minValue! + i));

/** The lesion fields a centre may leave empty. */
const OPTIONAL_FIELDS = ['age_approx', 'sex', 'skin_tone_class', 'site'] as const;

const section = (id: string, heading: string, body: string) => `<section id="${id}"><h2>${heading}</h2>${body}</section>`;
const n = (value: number) => value.toLocaleString('en-US');
const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '0.0%');
const ofSplit = <T extends { split: Split }>(rows: readonly T[], split: Split) => rows.filter((r) => r.split === split);

/** The model's agreement with MONET per concept and image type, as its manifest records it. */
function conceptAgreementTable(model: ConceptModelDisclosure): string {
  if (!model.agreement) return '';
  const groups = Object.entries(model.agreement);
  const rows = [...CONCEPT_COLUMNS.map((c) => [c, ...groups.map(([, a]) => a.rho[c]?.toFixed(2) ?? '–')]), ['mean', ...groups.map(([, a]) => a.meanRho.toFixed(2))]];
  return `<p>Spearman rho of the concept scores with the official MONET scores, validation lesions:</p>\n${table(['concept', ...groups.map(([g, a]) => `${g} (${a.images} images)`)], rows)}`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number) => (typeof v === 'number' ? `<td class="n">${n(v)}</td>` : `<td>${esc(v)}</td>`);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Counts by key, most frequent first, ties by key. */
function tally(keys: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

const centresOf = (input: DatasheetInput) => [...new Set([...input.lesions.map((l) => l.centre), ...input.deidentification.centres.map((c) => c.centre)])].sort();

function motivation(input: DatasheetInput): string {
  const { release } = input;
  const centres = centresOf(input);
  return section(
    'motivation',
    'Motivation',
    `<p><strong>Purpose.</strong> ${esc(release.name)} pairs a clinical close-up and a dermoscopic image of each skin lesion with de-identified metadata, an expert diagnosis (ISIC-DX, grouped into ${CLASSES.length} classes) and concept scores estimating MONET, to train and benchmark multimodal skin-lesion classifiers on a held-out benchmark whose labels stay private.</p>
<p><strong>Creators.</strong> ${esc(release.attribution)}, from the contributions of ${centres.length} dermatology centres (${esc(centres.join(', '))}); this version (${esc(release.version)}) was built by the MILK10k release pipeline from the centres' deliveries.</p>
<p><strong>Funding.</strong> Not recorded in the release inputs; see the creators above.</p>`,
  );
}

function composition(input: DatasheetInput): string {
  const lesionCount = (split: Split) => ofSplit(input.lesions, split).length;
  const imageCount = (split: Split) => ofSplit(input.images, split).length;
  const sizes = Object.fromEntries(SPLITS.map((s) => [s, `${n(lesionCount(s))} lesions, ${n(imageCount(s))} images`])) as Record<Split, string>;
  const types = tally(input.images.map((i) => i.image_type)).map(([type]) => type);
  const unknown = (field: (typeof OPTIONAL_FIELDS)[number], split: Split) => ofSplit(input.lesions, split).filter((l) => l[field] === null).length;
  const plots: SplitDistribution[] = [
    { plot: 'class', title: 'Diagnosis class', unit: 'lesions', ...categoryDistribution(input.lesions, (l) => l.diagnosis_class, CLASSES) },
    { plot: 'centre', title: 'Centre', unit: 'lesions', ...categoryDistribution(input.lesions, (l) => l.centre) },
    { plot: 'skin_tone', title: 'Skin tone class', unit: 'lesions', ...categoryDistribution(input.lesions, (l) => (l.skin_tone_class === null ? null : String(l.skin_tone_class)), SKIN_TONES) },
    { plot: 'site', title: 'Anatomic site', unit: 'lesions', ...categoryDistribution(input.lesions, (l) => l.site) },
    {
      plot: 'age',
      title: 'Approximate age (5-year bins)',
      unit: 'lesions',
      ...binnedDistribution(input.lesions, (l) => l.age_approx, { lo: 0, hi: 90, bins: 18, label: (lo) => (lo === 85 ? '85+' : String(lo)) }),
      note: `Unknown age: ${SPLITS.map((s) => `${s} ${n(unknown('age_approx', s))}`).join(', ')} lesions (not plotted).`,
    },
  ];
  return section(
    'composition',
    'Composition',
    `<p><strong>Instances.</strong> Each instance is a skin lesion with its images: ${n(input.lesions.length)} lesions and ${n(input.images.length)} images in all.</p>
${table(['split', 'lesions', 'images', ...types], SPLITS.map((s) => [s, lesionCount(s), imageCount(s), ...types.map((t) => ofSplit(input.images, s).filter((i) => i.image_type === t).length)]))}
<p><strong>Labels.</strong> Each lesion has one diagnosis: the full ISIC-DX term, its hierarchy and one of ${CLASSES.length} classes (${esc(CLASSES.join(', '))}). Training labels are in <code>MILK10k_Training_GroundTruth.csv</code>, <code>MILK10k_Training_Supplement.csv</code> and <code>tables/lesions.parquet</code>; the benchmark's labels are not released and appear here only as counts per class.</p>
<p><strong>Recommended split.</strong> The benchmark is held out, stratified by class, centre and skin tone and grouped so that lesions of one patient or of one duplicate group stay on one side; a lesion once in the benchmark stays there in every later version.</p>
<p><strong>Missing values</strong> (lesions with the value unknown):</p>
${table(['field', ...SPLITS], OPTIONAL_FIELDS.map((field) => [field, ...SPLITS.map((s) => unknown(field, s))]))}
<p><strong>Confidentiality.</strong> No names, local ids, dates, exact ages or file names: ids are public <code>IL_</code>/<code>ISIC_</code> ids, ages are rounded to 5 years, and image metadata is removed (see Collection process).</p>
${splitLegend(sizes)}
<div class="plots">${plots.map(splitBarChart).join('')}</div>`,
  );
}

function collection(input: DatasheetInput): string {
  const { centres, leakScan } = input.deidentification;
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const names = (counts: Record<string, number>) => Object.keys(counts).join(', ') || 'none';
  const scan = leakScan
    ? `<p><strong>Leak scan.</strong> Before publication every byte of the release (${n(leakScan.filesScanned)} files, ${n(leakScan.bytesScanned)} bytes) was searched for ${n(leakScan.phiValuesSearched)} identifying values known from the centres' deliveries: ${n(leakScan.hits)} found. ${n(leakScan.patternWarnings)} text field(s) looked like an identifier and are listed in <code>DEIDENTIFICATION_REPORT.json</code> for review.</p>`
    : '<p><strong>Leak scan.</strong> Before publication every byte of the release, this datasheet included, is searched for the identifying values known from the centres\' deliveries; the outcome is in <code>DEIDENTIFICATION_REPORT.json</code>.</p>';
  return section(
    'collection',
    'Collection process',
    `<p><strong>Acquisition.</strong> Each centre delivered its images and a metadata export in its own format (folder or S3 bucket); the pipeline fetched them, stored each file under its sha256, and parsed each export with the centre's declared dialect.</p>
<p><strong>De-identification.</strong> Image metadata segments and EXIF tags were removed (pixels untouched unless an image had to be re-oriented or converted), and identifying record fields were withheld:</p>
${table(
  ['centre', 'records', 'images', 're-oriented', 'segments removed', 'EXIF tags removed', 'fields withheld', 'searched for burned-in text', 'with text read'],
  centres.map((c) => [c.centre, c.recordsProcessed, c.imagesProcessed, c.imagesReoriented, total(c.segmentsRemoved), total(c.exifTagsRemoved), names(c.fieldsWithheld), c.imagesSearchedForText, c.imagesWithTextRegions]),
)}
${scan}`,
  );
}

function preprocessing(input: DatasheetInput): string {
  const warnings = tally(input.images.flatMap((i) => i.qc_warnings.split(';').filter(Boolean)));
  const warned = (check: string, split: Split) => ofSplit(input.images, split).filter((i) => i.qc_warnings.split(';').includes(check)).length;
  const exclusions = tally(input.exclusions.map((e) => `${e.stage}\u0000${e.reason}`)).map(([key, count]) => [...key.split('\u0000'), count] as [string, string, number]);
  const groups = new Map<number, PublicDuplicate[]>();
  for (const d of input.duplicates) groups.set(d.duplicate_group, [...(groups.get(d.duplicate_group) ?? []), d]);
  const groupRows = [...groups.values()];
  const concepts: SplitDistribution[] = CONCEPT_COLUMNS.map((column) => ({
    plot: column,
    title: column,
    unit: 'images',
    ...binnedDistribution(input.images, (i) => i.concepts[column], { lo: 0, hi: 1, bins: 10, label: (lo) => lo.toFixed(1) }),
  }));
  return section(
    'preprocessing',
    'Preprocessing, cleaning and labeling',
    `<p><strong>Cleaning.</strong> Every image was decoded once and checked (size, aspect ratio, exposure, sharpness, modality, burned-in text, duplicates); an image whose burned-in text reads as a name, local id or date of its centre's records was excluded (<code>phi-in-pixels</code>); each check excludes, warns or is off by configuration. Records were checked against the vocabularies and paired into lesions with one image of each type. ${n(input.exclusions.length)} items were excluded:</p>
${exclusions.length > 0 ? table(['stage', 'reason', 'excluded'], exclusions) : '<p>No exclusions.</p>'}
<p><strong>QC warnings</strong> on released images (listed per image in <code>tables/images.parquet</code>):</p>
${warnings.length > 0 ? table(['check', ...SPLITS], warnings.map(([check]) => [check, ...SPLITS.map((s) => warned(check, s))])) : '<p>No released image has a QC warning.</p>'}
<p><strong>Duplicates.</strong> ${n(groupRows.length)} duplicate groups with ${n(input.duplicates.length)} released images: ${n(groupRows.filter((g) => g[0]!.kind === 'exact').length)} exact, ${n(groupRows.filter((g) => g[0]!.kind === 'near').length)} near (perceptual hash); ${n(groupRows.filter((g) => g[0]!.cross_lesion).length)} span lesions and are kept on one side of the split (<code>tables/duplicates.parquet</code>).</p>
<p><strong>Labeling.</strong> Centre diagnoses were mapped to ISIC-DX terms and their class; ages were rounded to the nearest 5 years (85 meaning 85 or older). The concept scores (0–1) were computed on every released image. ${esc(conceptModelSummary(input.conceptModel))}</p>
${conceptAgreementTable(input.conceptModel)}
<div class="plots">${concepts.map(splitBarChart).join('')}</div>`,
  );
}

function uses(input: DatasheetInput): string {
  const train = ofSplit(input.lesions, 'train');
  const rare = CLASSES.map((c) => [c, train.filter((l) => l.diagnosis_class === c).length] as const).filter(([, count]) => count < 0.01 * train.length);
  const tones = input.lesions.flatMap((l) => (l.skin_tone_class === null ? [] : [String(l.skin_tone_class)]));
  const fewTones = SKIN_TONES.map((tone) => [tone, tones.filter((t) => t === tone).length] as const).filter(([, count]) => count < 0.05 * tones.length);
  return section(
    'uses',
    'Uses',
    `<p><strong>Intended uses.</strong> Research on skin-lesion classification from paired clinical and dermoscopic images, concept-based explanation, and evaluation on the held-out benchmark (submit predictions for <code>MILK10k_Test_Input</code>; labels are held by the maintainers).</p>
<p><strong>Not for</strong> clinical diagnosis or any decision about a person; not for attempts to re-identify patients.</p>
<p><strong>Known limits.</strong> Classes with under 1% of training lesions: ${rare.length > 0 ? esc(rare.map(([c, count]) => `${c} (${n(count)})`).join(', ')) : 'none'}. Skin tone classes with under 5% of the lesions whose skin tone is known: ${fewTones.length > 0 ? fewTones.map(([tone, count]) => `${tone} (${pct(count, tones.length)})`).join(', ') : 'none'}; results on them rest on few examples. Concept scores are model outputs, not annotations.</p>`,
  );
}

function distribution(input: DatasheetInput): string {
  const { release } = input;
  const licence = release.licenseUrl ? `<a href="${esc(release.licenseUrl)}">${esc(release.license)}</a>` : esc(release.license);
  return section(
    'distribution',
    'Distribution',
    `<p><strong>Licence.</strong> ${licence}; attribution: ${esc(release.attribution)} (also embedded in every image and metadata row).</p>
<p><strong>Form.</strong> JPEG images in <code>MILK10k_Training_Input/</code> and <code>MILK10k_Test_Input/</code>, the official MILK10k CSV files, Parquet tables under <code>tables/</code>, a DuckDB database, a Croissant description (<code>croissant.json</code>), this datasheet, <code>DEIDENTIFICATION_REPORT.json</code>, <code>CHANGES.md</code> and <code>MANIFEST.sha256</code> (check with <code>sha256sum -c</code>).</p>
<p><strong>Version.</strong> ${esc(release.version)}, content hash <code>${esc(release.contentHash)}</code>: the same content always has the same hash.</p>`,
  );
}

function maintenance(input: DatasheetInput): string {
  const { release } = input;
  return section(
    'maintenance',
    'Maintenance',
    `<p><strong>Maintainers.</strong> ${esc(release.attribution)}; rebuilt by the MILK10k release pipeline as centres add cases.</p>
<p><strong>Updates.</strong> Each rebuild that changes the content gets a new semantic version (${esc(release.name)} ${esc(release.version)} here); <code>CHANGES.md</code> lists every lesion and image added, removed or changed since the previous version, with the reason. Rebuilding the same inputs gives a byte-identical release.</p>
<p><strong>Errata and withdrawals.</strong> Corrections and removals at a centre's request enter the next version; the benchmark's members never change side.</p>`,
  );
}
