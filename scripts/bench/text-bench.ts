import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { PixelPhi } from '../../activities/assemble/phi-in-pixels.ts';
import { phiValues } from '../../activities/storage/phi-values.ts';
import type { PrivateRecord } from '../../schemas/records.ts';
import { TextReader } from '../../activities/deidentify/text-reader.ts';
import type { TextConfig } from '../../schemas/config.ts';
import { QC_CHECKS } from '../../schemas/qc-checks.ts';
import { textScore, type TextFindings } from '../../schemas/text-findings.ts';
import { FIRST_NAMES, LAST_NAMES } from '../synth/centre-style.ts';
import { drawText, type TextStyle } from '../synth/drawn-text.ts';
import { Random } from '../synth/random.ts';

const CHECK = QC_CHECKS.find((c) => c.name === 'burned-in-text')!;
/** Font sizes drawn, as fractions of the image height (13 to 36 px on a 450-px-high image). */
const SIZES = [0.03, 0.045, 0.06, 0.08];
const COLOURS: Pick<TextStyle, 'colour' | 'outline'>[] = [{ colour: 'white' }, { colour: 'black' }, { colour: 'yellow' }, { colour: 'white', outline: 'black' }, { colour: '#808080' }];
const SWEEP = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

interface Read {
  file: string;
  findings: TextFindings;
  score: number;
  ms: number;
}

interface Drawn extends Read {
  kind: string;
  text: string;
  record: PrivateRecord;
  size: number;
  /** the PHI value drawn was matched in what the recogniser read */
  matched: boolean;
}

/**
 * Burned-in text detection on real images and on real images with a name, a date or an id drawn in
 * (seeded: size, position, colour): how many real images the burned-in-text check flags and what was
 * read in them (the public MILK10k images hold no PHI), the share of drawn texts flagged and matched
 * as PHI, each at a sweep of thresholds, and the reader's time per image on one thread.
 */
export async function benchText(real: readonly string[], drawnCount: number, settings: TextConfig, work: string): Promise<string[]> {
  const reader = await TextReader.load();
  const readOne = async (file: string, jpeg: Uint8Array): Promise<Read> => {
    const started = performance.now();
    const findings = await reader.read(jpeg, settings);
    return { file, findings, score: textScore(findings), ms: performance.now() - started };
  };
  const reals: Read[] = [];
  for (const file of real) reals.push(await readOne(file, await readFile(file)));
  const random = new Random(12);
  const drawn: Drawn[] = [];
  for (const file of random.shuffle([...real]).slice(0, drawnCount)) {
    const { kind, text, record } = drawnText(random);
    const size = random.pick(SIZES);
    const jpeg = await readFile(file);
    const { width, height } = await sharp(jpeg).metadata();
    // Captions sit along an edge, in a corner or across the middle, inside the image (DejaVu Sans averages ~0.6 em a character).
    const room = Math.max(0.02, 0.98 - (0.6 * size * height! * text.length) / width!);
    const style: TextStyle = { size, x: Math.min(room, random.pick([0.02, 0.05, 0.3])), y: random.pick([size + 0.02, 0.5, 0.97]), ...random.pick(COLOURS) };
    const read = await readOne(file, await drawText(jpeg, text, style));
    // Matched as assembly does: against the PHI values the drawn patient's record gives (name parts, dates in every format).
    const matched = new PixelPhi(phiValues([], [record], [], [])).match(read.findings.texts) !== undefined;
    drawn.push({ ...read, kind, text, size, matched, record });
  }
  // False phi-in-pixels: what the real images read, against every drawn patient's PHI values.
  const everyone = new PixelPhi(phiValues([], drawn.map((d) => d.record), [], []));
  const realMatches = reals.filter((r) => everyone.match(r.findings.texts) !== undefined).length;
  await writeFile(path.join(work, 'text-bench.json'), JSON.stringify({ reals, drawn }));

  const share = (part: number, all: number) => `${part}/${all} (${((100 * part) / Math.max(1, all)).toFixed(1)}%)`;
  const flagged = (r: Read, threshold = CHECK.threshold) => CHECK.fails(r.score, threshold);
  const flaggedReal = reals.filter((r) => flagged(r));
  const lines = [
    `Burned-in text (PP-OCRv4 det + rec at ${settings.side} px, one thread): ${(reals.reduce((s, r) => s + r.ms, 0) / Math.max(1, reals.length)).toFixed(0)} ms per real image, ${(drawn.reduce((s, r) => s + r.ms, 0) / Math.max(1, drawn.length)).toFixed(0)} ms per drawn one`,
    `  real images with a detected region: ${share(reals.filter((r) => r.findings.regions.length > 0).length, reals.length)}; flagged burned-in-text (score >= ${CHECK.threshold}): ${share(flaggedReal.length, reals.length)}`,
    `  drawn names/dates/ids flagged: ${share(drawn.filter((d) => flagged(d)).length, drawn.length)}; the drawn value matched as PHI (phi-in-pixels): ${share(drawn.filter((d) => d.matched).length, drawn.length)}`,
    `  real images whose text matches a PHI value of the ${drawn.length} drawn records (false phi-in-pixels): ${share(realMatches, reals.length)}`,
    '  threshold   real flagged   drawn flagged',
    ...SWEEP.map((t) => `  ${t.toFixed(2).padStart(9)}   ${share(reals.filter((r) => flagged(r, t)).length, reals.length).padStart(12)}   ${share(drawn.filter((d) => flagged(d, t)).length, drawn.length).padStart(13)}`),
    '  by drawn size (font / image height): flagged, matched',
    ...SIZES.map((size) => {
      const of = drawn.filter((d) => d.size === size);
      return `  ${size.toFixed(3).padStart(9)}   ${share(of.filter((d) => flagged(d)).length, of.length)}, ${share(of.filter((d) => d.matched).length, of.length)}`;
    }),
    '  by drawn kind: flagged, matched',
    ...[...new Set(drawn.map((d) => d.kind))].map((kind) => {
      const of = drawn.filter((d) => d.kind === kind);
      return `  ${kind.padStart(9)}   ${share(of.filter((d) => flagged(d)).length, of.length)}, ${share(of.filter((d) => d.matched).length, of.length)}`;
    }),
    '  the real images that score highest (what was read with what confidence, box as fractions):',
    ...[...reals]
      .sort((a, b) => b.score - a.score)
      .slice(0, Math.max(10, flaggedReal.length))
      .filter((r) => r.score > 0)
      .map((r) => {
        const regions = r.findings.regions.map((g, i) => `"${r.findings.texts[i]}" ${g.confidence.toFixed(2)} [${g.box.map((v) => v.toFixed(2)).join(' ')}]`);
        return `    ${path.basename(r.file, '.jpg')} ${r.score.toFixed(2)}${flagged(r) ? ' flagged' : ''}: ${regions.join('; ')}`;
      }),
  ];
  return lines;
}

/** A seeded name, birth date, name with date, or local patient id as burn-in software stamps them, and the record that holds them. */
function drawnText(random: Random): { kind: string; text: string; record: PrivateRecord } {
  const [first, last] = [random.pick(FIRST_NAMES), random.pick(LAST_NAMES)];
  const name = random.next() < 0.5 ? `${first} ${last}` : `${last.toUpperCase()}, ${first}`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const [y, m, d] = [random.int(1930, 2010), random.int(1, 12), random.int(1, 28)];
  const date = random.pick([`${pad(d)}.${pad(m)}.${y}`, `${y}-${pad(m)}-${pad(d)}`, `${pad(d)}/${pad(m)}/${y}`]);
  const patientId = String(random.int(1_000_000, 9_999_999));
  const record: PrivateRecord = {
    centre: 'bench', metadataKey: 'export.csv', row: 1, imageKey: 'image.jpg', patientId, lesionId: 'L-1', patientName: `${last}, ${first}`,
    birthDate: `${y}-${pad(m)}-${pad(d)}`, imageType: 'clinical: close-up', diagnosis: 'Nevus', manipulation: 'instrument only',
  };
  const { kind, text } = random.pick([
    { kind: 'name', text: name },
    { kind: 'date', text: date },
    { kind: 'name+date', text: `${name} ${date}` },
    { kind: 'id', text: `PID ${patientId}` },
  ]);
  return { kind, text, record };
}
