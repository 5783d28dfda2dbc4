/**
 * The project's QC beside cleanvision (PyPI cleanvision, in .tools/venv) on the same files in the same
 * run: real images plus seeded defects and seeded near duplicates made from some of them. Per tool:
 * images per CPU-second (this process, or cleanvision's process and its workers), recall per seeded
 * kind, false positives on the untouched real images, and false duplicate groups (a group joining two
 * different pictures). The project's duplicates are searched, as in a build, among the images its QC
 * kept; cleanvision's among all (it has no exclusion step).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pMap from 'p-map';
import sharp, { type Sharp } from 'sharp';
import { duplicateGroups } from '../../activities/assemble/duplicate-groups.ts';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import type { QcConfig } from '../../schemas/config.ts';
import { datasetSizes, qcOutcome } from '../../schemas/qc-checks.ts';

const run = promisify(execFile);
const VENV_PYTHON = path.resolve(import.meta.dirname, '..', '..', '.tools', 'venv', 'bin', 'python');

interface SeededKind {
  name: string;
  /** true for a near duplicate (caught = grouped with its original), false for a defect (caught = flagged) */
  duplicate: boolean;
  /** the copy no longer shows its original (every flat grey copy is the same picture as every other) */
  replacesContent?: boolean;
  make: (image: Sharp, width: number, height: number) => Sharp;
  quality?: number;
  /** the checks that count as catching it */
  ours: string[];
  cleanvision: string[];
}

export const SEEDED_KINDS: SeededKind[] = [
  { name: 'blur sigma 2', duplicate: false, make: (s) => s.blur(2), ours: ['blurry', 'blurry-fine-detail'], cleanvision: ['blurry'] },
  { name: 'blur sigma 4', duplicate: false, make: (s) => s.blur(4), ours: ['blurry', 'blurry-fine-detail'], cleanvision: ['blurry'] },
  { name: 'darkened x0.15', duplicate: false, make: (s) => s.linear(0.15, 0), ours: ['too-dark'], cleanvision: ['dark'] },
  { name: 'over-exposed +215', duplicate: false, make: (s) => s.linear(1, 215), ours: ['too-light'], cleanvision: ['light'] },
  { name: 'grayscale as RGB', duplicate: false, make: (s) => s.greyscale().toColourspace('srgb'), ours: ['grayscale'], cleanvision: ['grayscale'] },
  { name: 'grayscale as L', duplicate: false, make: (s) => s.greyscale(), ours: ['grayscale'], cleanvision: ['grayscale'] },
  { name: 'shrunk to 96x72', duplicate: false, make: (s) => s.resize(96, 72), ours: ['too-small', 'odd-size'], cleanvision: ['odd_size'] },
  { name: 'flat grey', duplicate: false, replacesContent: true, make: (s) => s.linear(0, 128), ours: ['low-information'], cleanvision: ['low_information'] },
  { name: 'strip 4:1', duplicate: false, make: (s, w) => s.resize(w, Math.round(w / 4), { fit: 'cover' }), ours: ['odd-aspect-ratio'], cleanvision: ['odd_aspect_ratio'] },
  { name: 'near: 50% rescale', duplicate: true, make: (s, w) => s.resize({ width: Math.round(w / 2) }), ours: [], cleanvision: [] },
  { name: 'near: JPEG q60', duplicate: true, make: (s) => s, quality: 60, ours: [], cleanvision: [] },
  { name: 'near: 5% crop', duplicate: true, make: (s, w, h) => s.extract({ left: Math.round(w * 0.025), top: Math.round(h * 0.025), width: Math.round(w * 0.95), height: Math.round(h * 0.95) }), ours: [], cleanvision: [] },
  { name: 'near: +10% brightness', duplicate: true, make: (s) => s.modulate({ brightness: 1.1 }), ours: [], cleanvision: [] },
  // rotated about the centre and cut back to the original canvas (small black corners), as a re-export would
  {
    name: 'near: 3° rotation',
    duplicate: true,
    make: (s, w, h) => {
      const [cos, sin] = [Math.cos((3 * Math.PI) / 180), Math.sin((3 * Math.PI) / 180)];
      const [rw, rh] = [Math.ceil(w * cos + h * sin), Math.ceil(w * sin + h * cos)];
      return s.rotate(3).extract({ left: Math.floor((rw - w) / 2), top: Math.floor((rh - h) / 2), width: w, height: h });
    },
    ours: [],
    cleanvision: [],
  },
  { name: 'near: horizontal flip', duplicate: true, make: (s) => s.flop(), ours: [], cleanvision: [] },
];

export interface ToolResult {
  imagesPerCpuSecond: number;
  cpuSeconds: number;
  /** per seeded kind: copies caught */
  caught: Record<string, number>;
  /** untouched real images flagged by a quality check */
  falsePositives: number;
  falsePositiveChecks: Record<string, number>;
  duplicateGroups: number;
  falseDuplicateGroups: number;
  /** the first false groups, as paths inside the comparison folder */
  falseGroupExamples: string[][];
}

export interface QcComparison {
  realImages: number;
  seededPerKind: number;
  images: number;
  ours: ToolResult;
  cleanvision: ToolResult;
}

interface BenchFile {
  /** path inside the comparison folder */
  file: string;
  /** the real image it is or was made from */
  original: string;
  kind?: string;
}

/** Seeds copies of `seeded` of the real files per kind into `work`, then runs both tools over everything. */
export async function compareWithCleanvision(realFiles: readonly string[], seededPerKind: number, qc: QcConfig, work: string): Promise<QcComparison> {
  const folder = path.join(work, 'qc-vs-cleanvision');
  await rm(folder, { recursive: true, force: true });
  await mkdir(path.join(folder, 'real'), { recursive: true });
  const files: BenchFile[] = [];
  for (const real of realFiles) {
    const file = path.join(folder, 'real', path.basename(real));
    await symlink(real, file);
    files.push({ file, original: file });
  }
  const reals = [...files];
  const step = Math.max(1, Math.floor(reals.length / seededPerKind));
  for (const [k, kind] of SEEDED_KINDS.entries()) {
    const dir = path.join(folder, `seeded-${k}`);
    await mkdir(dir);
    // each kind from its own images (offset per kind), spread over the whole set
    const sources = Array.from({ length: Math.min(seededPerKind, realFiles.length) }, (_, i) => reals[(i * step + k) % reals.length]!);
    files.push(
      ...(await pMap(sources, async (source) => {
        const bytes = await readFile(source.file);
        const { width = 0, height = 0 } = await sharp(bytes).metadata();
        const file = path.join(dir, path.basename(source.file));
        await writeFile(file, await kind.make(sharp(bytes), width, height).jpeg({ quality: kind.quality ?? 90 }).toBuffer());
        return { file, original: source.file, kind: kind.name };
      }, { concurrency: 2 })),
    );
  }

  // the project's QC: decode and measure every file, apply the checks, find duplicate groups
  const cpu = process.cpuUsage();
  const measured = await pMap(files, async (f) => measureImage(await readFile(f.file)), { concurrency: 2 });
  const sizes = datasetSizes(measured.map((m) => m.scores));
  const outcomes = measured.map((m) => qcOutcome(m.scores, 'dermoscopic', qc.checks, sizes));
  const ourFlags = outcomes.map((o) => [...o.exclude, ...o.warn].filter((check) => check !== 'modality-mismatch'));
  // as assembly does: duplicates are searched among the images QC did not exclude
  const kept = measured.flatMap((m, i) => (outcomes[i]!.exclude.length === 0 ? [{ id: files[i]!.file, similarityThumbnail: m.similarityThumbnail, pixelSha256: m.scores.pixelSha256, aspect: m.scores.width / m.scores.height }] : []));
  const ourGroups = duplicateGroups(kept, qc.duplicates).map((g) => g.members);
  const used = process.cpuUsage(cpu);
  const ourCpu = (used.user + used.system) / 1e6;

  const { stdout } = await run(VENV_PYTHON, [path.join(import.meta.dirname, 'cleanvision-run.py'), folder, '2'], { maxBuffer: 1 << 30 });
  const reference = JSON.parse(stdout) as { cpuSeconds: number; images: number; flags: Record<string, string[]>; sets: Record<string, string[][]> };
  const resolved = (p: string) => path.resolve(p);
  const cvFlags = files.map((f) => reference.flags[f.file] ?? reference.flags[resolved(f.file)] ?? []);
  const cvGroups = [...reference.sets.exact_duplicates!, ...reference.sets.near_duplicates!];

  const pixels = new Map(files.map((f, i) => [f.file, measured[i]!.scores.pixelSha256]));
  const pictureOf = new Map(files.map((f) => [f.file, SEEDED_KINDS.find((k) => k.name === f.kind)?.replacesContent ? pixels.get(f.file) : pixels.get(f.original)]));
  const summarise = (flags: string[][], groups: string[][], cpuSeconds: number, catching: (kind: SeededKind) => string[]): ToolResult => {
    const caught: Record<string, number> = {};
    const groupOf = new Map<string, number>();
    groups.forEach((g, n) => g.forEach((m) => groupOf.set(m, n)));
    const falsePositiveChecks: Record<string, number> = {};
    let falsePositives = 0;
    files.forEach((f, i) => {
      if (!f.kind) {
        if (flags[i]!.length > 0) falsePositives++;
        for (const check of flags[i]!) falsePositiveChecks[check] = (falsePositiveChecks[check] ?? 0) + 1;
        return;
      }
      const kind = SEEDED_KINDS.find((k) => k.name === f.kind)!;
      const hit = kind.duplicate ? groupOf.get(f.file) !== undefined && groupOf.get(f.file) === groupOf.get(f.original) : flags[i]!.some((c) => catching(kind).includes(c));
      caught[kind.name] = (caught[kind.name] ?? 0) + (hit ? 1 : 0);
    });
    // false: the group joins different pictures (a real image and its copies are one picture, as are real images with the same decoded pixels)
    const falseGroups = groups.filter((g) => new Set(g.map((m) => pictureOf.get(m))).size > 1);
    const falseGroupExamples = falseGroups.slice(0, 3).map((g) => g.map((m) => path.relative(folder, m)));
    return { imagesPerCpuSecond: files.length / cpuSeconds, cpuSeconds, caught, falsePositives, falsePositiveChecks, duplicateGroups: groups.length, falseDuplicateGroups: falseGroups.length, falseGroupExamples };
  };
  return {
    realImages: realFiles.length,
    seededPerKind,
    images: files.length,
    ours: summarise(ourFlags, ourGroups, ourCpu, (k) => k.ours),
    cleanvision: summarise(cvFlags, cvGroups, reference.cpuSeconds, (k) => k.cleanvision),
  };
}

/** The comparison as lines, both tools side by side. */
export function comparisonLines(c: QcComparison): string[] {
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)}%`;
  return [
    `QC vs cleanvision 0.3.7 on ${c.images} images (${c.realImages} real + ${c.seededPerKind} seeded per kind), same files, same run, 2 workers each:`,
    `  images per CPU-second: project ${c.ours.imagesPerCpuSecond.toFixed(1)} (${c.ours.cpuSeconds.toFixed(0)} CPU-s) vs cleanvision ${c.cleanvision.imagesPerCpuSecond.toFixed(1)} (${c.cleanvision.cpuSeconds.toFixed(0)} CPU-s): ${(c.ours.imagesPerCpuSecond / c.cleanvision.imagesPerCpuSecond).toFixed(1)}x (target >= 5x)`,
    ...SEEDED_KINDS.map((k) => `  recall ${k.name}: project ${pct(c.ours.caught[k.name] ?? 0, c.seededPerKind)} vs cleanvision ${pct(c.cleanvision.caught[k.name] ?? 0, c.seededPerKind)}`),
    `  false positives on the ${c.realImages} untouched real images: project ${c.ours.falsePositives} ${JSON.stringify(c.ours.falsePositiveChecks)} vs cleanvision ${c.cleanvision.falsePositives} ${JSON.stringify(c.cleanvision.falsePositiveChecks)}`,
    `  duplicate groups: project ${c.ours.duplicateGroups} (${c.ours.falseDuplicateGroups} false) vs cleanvision ${c.cleanvision.duplicateGroups} (${c.cleanvision.falseDuplicateGroups} false) (target 0 false)`,
    ...c.ours.falseGroupExamples.map((g) => `    false project group: ${g.join(' ')}`),
    ...c.cleanvision.falseGroupExamples.map((g) => `    false cleanvision group: ${g.join(' ')}`),
  ];
}
