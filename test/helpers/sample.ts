import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The ONE place that knows where the real MILK10k sample lives (CC-BY-NC: read it, never copy it
 * into the repository). Tests that need it use `describe.skipIf(!sampleAvailable)(...)`.
 */
const REPO = path.resolve(import.meta.dirname, '..', '..');

export const SAMPLE_DIR = path.resolve(process.env.MILK10K_SAMPLE ?? path.join(REPO, '..', 'shared', 'milk10k-sample'));

const INPUT_DIR = path.join(SAMPLE_DIR, 'MILK10k_Training_Input');

export const sampleAvailable: boolean = existsSync(INPUT_DIR);

export const sampleSkipReason = `MILK10k sample not found at ${SAMPLE_DIR} (set MILK10K_SAMPLE)`;

/** Path of one of the sample's official files, e.g. `MILK10k_Training_Metadata.csv`. */
export function sampleFile(name: string): string {
  return path.join(SAMPLE_DIR, name);
}

let allImages: string[] | undefined;

/** The first `n` sample JPEGs (`MILK10k_Training_Input/<lesion_id>/<isic_id>.jpg`), sorted by path. */
export function sampleImages(n: number): string[] {
  if (!sampleAvailable) throw new Error(sampleSkipReason);
  allImages ??= readdirSync(INPUT_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(INPUT_DIR, d.name))
        .filter((f) => f.toLowerCase().endsWith('.jpg'))
        .map((f) => path.join(INPUT_DIR, d.name, f)),
    )
    .sort();
  if (allImages.length < n) throw new Error(`the MILK10k sample at ${SAMPLE_DIR} has ${allImages.length} images, ${n} wanted`);
  return allImages.slice(0, n);
}
