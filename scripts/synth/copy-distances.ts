import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pMap from 'p-map';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { hammingDistance } from '../../activities/assemble/near-duplicates.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';
import { readMilk10k } from './read-milk10k.ts';
import { scaleCopies } from './scale-copies.ts';
import type { SourceLesion } from './source-lesion.ts';

/** The pHash Hamming distance between two versions (copy numbers) of one source image. */
export interface CopyDistance {
  isicId: string;
  copies: [number, number];
  distance: number;
}

/**
 * How far QC's near-duplicate check sees a source image's `scale` versions from each other: the
 * distance of every pair, with the pHash computed as QC does (measureImage). Only hashes are kept.
 */
export async function copyDistances(lesions: readonly SourceLesion[], scale: number, seed: number): Promise<CopyDistance[]> {
  const versions = scaleCopies(lesions, scale, seed).flatMap((lesion) => lesion.images.map((image) => ({ image, copy: lesion.copy ?? 0 })));
  const hashes = await pMap(versions, async ({ image, copy }) => ({ isicId: image.isicId, copy, phash: (await measureImage(await image.load())).scores.phash }), { concurrency: 2 });
  const byImage = new Map<string, typeof hashes>();
  for (const hash of hashes) byImage.set(hash.isicId, [...(byImage.get(hash.isicId) ?? []), hash]);
  return [...byImage.values()].flatMap((group) =>
    group.flatMap((a, i) => group.slice(i + 1).map((b) => ({ isicId: a.isicId, copies: [a.copy, b.copy] as [number, number], distance: hammingDistance(a.phash, b.phash) }))),
  );
}

/** `npx tsx scripts/synth/copy-distances.ts [--from-milk10k DIR] [--images N] [--scale K]`: prints the distribution. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'from-milk10k': { type: 'string', default: path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'milk10k-sample') }, images: { type: 'string', default: '50' }, scale: { type: 'string', default: '2' } } });
  const maxDistance = loadConfig(DEFAULT_CONFIG_FILE).config.qc.duplicates.maxDistance;
  const lesions = (await readMilk10k([values['from-milk10k']])).slice(0, Math.ceil(Number(values.images) / 2));
  const distances = await copyDistances(lesions, Number(values.scale), 1);
  const report = (what: string, list: readonly CopyDistance[]) => {
    if (list.length === 0) return;
    const sorted = list.map((d) => d.distance).sort((a, b) => a - b);
    const above = sorted.filter((d) => d > maxDistance).length;
    const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(`${what}: ${list.length} pairs, ${above} (${((100 * above) / list.length).toFixed(1)}%) above maxDistance ${maxDistance}; min ${sorted[0]}, p10 ${quantile(0.1)}, median ${quantile(0.5)}, max ${sorted.at(-1)}`);
  };
  report('original-copy', distances.filter((d) => d.copies[0] === 0));
  report('copy-copy', distances.filter((d) => d.copies[0] !== 0));
  const grouped = new Set(distances.filter((d) => d.distance <= maxDistance).map((d) => d.isicId));
  console.log(`${new Set(distances.map((d) => d.isicId)).size} source images, ${grouped.size} with at least two versions within maxDistance`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
