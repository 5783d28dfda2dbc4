import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadConfig } from '../../schemas/config.ts';
import { assertUniqueIds } from './local-ids.ts';
import { Random } from './random.ts';
import { readMilk10k } from './read-milk10k.ts';
import { scaleCopies } from './scale-copies.ts';
import type { SourceLesion } from './source-lesion.ts';
import { syntheticLesions } from './synthetic-lesions.ts';
import { uploadDrops, type S3Target } from './upload-drops.ts';
import { writeCentreDrop, type SynthKeyRow } from './write-centre-drop.ts';

export interface SynthOptions {
  /** temporal.yml whose centres and dialects the drops follow */
  config: string;
  out: string;
  seed: number;
  /** source lesions to take (default: all of fromMilk10k, else 100 drawn), before scaling */
  lesions?: number;
  /** folders in the official MILK10k layout whose real lesions are spread over the centres */
  fromMilk10k?: string | readonly string[];
  /** write this many copies of every source lesion (see scale-copies.ts); default 1 */
  scale?: number;
  /** also upload the drops to this S3 address and point the written config at it */
  to?: S3Target;
}

export interface SynthResult {
  out: string;
  config: string;
  lesions: number;
  images: number;
  perCentre: Record<string, number>;
}

/** Relative sizes of the centres' contributions, by position. */
const CENTRE_WEIGHTS = [0.3, 0.22, 0.2, 0.16, 0.12];

/**
 * Generates one raw drop per centre of the config under `out/<centre>/`, a private answer key
 * (`out/synth-key.csv`, outside every drop) and `out/temporal.yml` pointing at the drops.
 */
export async function synthesise(options: SynthOptions): Promise<SynthResult> {
  const loaded = loadConfig(options.config);
  const random = new Random(options.seed);
  const folders = [options.fromMilk10k ?? []].flat();
  const all: SourceLesion[] = folders.length > 0 ? random.shuffle(await readMilk10k(folders)) : syntheticLesions(options.lesions ?? 100, random);
  const sources = all.slice(0, options.lesions ?? all.length);
  const scale = options.scale ?? 1;
  // Shuffled again so that a lesion's copies, new patients, spread over the centres like any other lesion.
  const lesions = scale === 1 ? sources : random.shuffle(scaleCopies(sources, scale, options.seed));
  const centres = loaded.config.centres;
  const weights = centres.map((_, i) => CENTRE_WEIGHTS[i % CENTRE_WEIGHTS.length]!);
  const total = weights.reduce((a, b) => a + b, 0);

  await mkdir(options.out, { recursive: true });
  const key: SynthKeyRow[] = [];
  const perCentre: Record<string, number> = {};
  let start = 0;
  for (const [i, centre] of centres.entries()) {
    const end = i === centres.length - 1 ? lesions.length : start + Math.round((lesions.length * weights[i]!) / total);
    const share = lesions.slice(start, end);
    start = end;
    const folder = path.join(options.out, centre.id);
    await rm(folder, { recursive: true, force: true });
    key.push(...(await writeCentreDrop(centre, i, share, folder, random)));
    perCentre[centre.id] = share.length;
  }
  assertUniqueIds(key);
  await writeFile(path.join(options.out, 'synth-key.csv'), stringify(key, { header: true, record_delimiter: '\n' }));

  const raw = parseYaml(await readFile(options.config, 'utf8')) as { storage?: { root?: string }; centres: { id: string; source: Record<string, unknown> }[] };
  const to = options.to;
  if (to) await uploadDrops(options.out, centres.map((c) => c.id), to);
  for (const centre of raw.centres) {
    centre.source = to
      ? { type: 's3', bucket: to.bucket, prefix: `${to.prefix}${centre.id}/`, region: to.region, ...(to.endpoint ? { endpoint: to.endpoint, forcePathStyle: true } : {}) }
      : { type: 'folder', path: centre.id };
  }
  raw.storage = { ...raw.storage, root: 'data' };
  const configOut = path.join(options.out, 'temporal.yml');
  await writeFile(configOut, `# Written by \`milk synth\`: the centres of ${path.basename(options.config)}, reading the drops ${to ? `in s3://${to.bucket}/${to.prefix}` : 'beside this file'}.\n${toYaml(raw)}`);
  return { out: options.out, config: configOut, lesions: lesions.length, images: key.length, perCentre };
}
