import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import pMap from 'p-map';
import { ConceptModel, type ConceptImage } from '../../activities/concepts/concept-model.ts';
import { deidentifyImage } from '../../activities/deidentify/deidentify-image.ts';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { CONCEPT_COLUMNS, IMAGE_TYPES, type PublicImage } from '../../schemas/release.ts';
import type { LoadedConfig } from '../../schemas/config.ts';

/** A validation image: the pipeline's concept input, its type and the official MONET scores. */
interface ValidationImage extends ConceptImage {
  official: number[];
}

/**
 * The concept stage against MONET: the configured model's Spearman rho with the official MONET_*
 * scores on the validation lesions its manifest names (made by the pipeline's own de-identification
 * and QC decode, scored by onnxruntime-node), printed beside the figures the training tool recorded;
 * the stage's throughput at the configured batch size (decode excluded) and the model's size.
 */
export async function benchConcepts(loaded: LoadedConfig, milk10k: readonly string[]): Promise<void> {
  const model = await ConceptModel.load(loaded.modelPath, loaded.config.concepts.device);
  const { training, agreement } = model.manifest;
  const onnxBytes = (await stat(path.join(loaded.modelPath, model.manifest.model))).size;
  console.log(`concept model ${model.version} (${model.manifest.kind}): model.onnx ${(onnxBytes / 1e6).toFixed(2)} MB (target <= 10 MB)`);
  const seed = training?.seed;
  const fraction = training?.validationFraction;
  if (typeof seed !== 'number' || typeof fraction !== 'number') {
    console.log('  its manifest names no validation split (training.seed, training.validationFraction): agreement not measured');
    return;
  }
  const images = await validationImages(milk10k, seed, fraction);
  const scored = await model.score(images);
  const groups: [string, (i: ValidationImage) => boolean][] = [['all', () => true], ...IMAGE_TYPES.map((t): [string, (i: ValidationImage) => boolean] => [t, (i) => i.imageType === t])];
  console.log(`  Spearman rho with the official MONET scores on ${images.length} validation images (${new Set(images.map((i) => i.imageType)).size} types); pipeline (onnxruntime-node) / training tool (manifest):`);
  console.log(`  ${'concept'.padEnd(46)} ${groups.map(([g]) => g.padStart(20)).join(' ')}`);
  const means = groups.map(() => 0);
  for (const [k, column] of CONCEPT_COLUMNS.entries()) {
    const cells = groups.map(([group, inGroup], g) => {
      const members = images.map((image, i) => ({ image, i })).filter(({ image }) => inGroup(image));
      const rho = spearman(members.map(({ i }) => scored[i]![column]), members.map(({ image }) => image.official[k]!));
      means[g]! += rho / CONCEPT_COLUMNS.length;
      return `${rho.toFixed(3)} / ${agreement?.[group]?.rho[column]?.toFixed(3) ?? '-'}`.padStart(20);
    });
    console.log(`  ${column.padEnd(46)} ${cells.join(' ')}`);
  }
  console.log(`  ${'mean (targets: all >= 0.80, each type >= 0.72)'.padEnd(46)} ${groups.map(([group], g) => `${means[g]!.toFixed(3)} / ${agreement?.[group]?.meanRho.toFixed(3) ?? '-'}`.padStart(20)).join(' ')}`);

  // Throughput as the inference queue runs it: batches of concepts.batchSize, as many in flight as the queue's slots.
  const { batchSize } = loaded.config.concepts;
  const slots = loaded.config.temporal.taskQueues.inference.maxConcurrentActivities;
  const batches = Array.from({ length: Math.ceil((4 * images.length) / batchSize) }, (_, b) => Array.from({ length: batchSize }, (_, i) => images[(b * batchSize + i) % images.length]!));
  await model.score(batches[0]!); // warm-up
  const started = process.hrtime.bigint();
  await pMap(batches, (batch) => model.score(batch), { concurrency: slots });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`  concept stage: ${((batches.length * batchSize) / seconds).toFixed(0)} images/s (batches of ${batchSize}, ${slots} in flight, decode excluded; target >= 500)`);
}

/** The validation lesions' images, through de-identification and the QC decode, as a build would see them. */
async function validationImages(milk10k: readonly string[], seed: number, fraction: number): Promise<ValidationImage[]> {
  const rows = [];
  for (const dir of milk10k) {
    const metadata = parse(await readFile(path.join(dir, 'MILK10k_Training_Metadata.csv')), { columns: true }) as Record<string, string>[];
    for (const row of metadata) if (isValidation(row.lesion_id!, seed, fraction)) rows.push({ dir, row });
  }
  return pMap(
    rows,
    async ({ dir, row }) => {
      const { jpeg } = await deidentifyImage(await readFile(path.join(dir, 'MILK10k_Training_Input', row.lesion_id!, `${row.isic_id}.jpg`)));
      return { pixels: (await measureImage(jpeg)).conceptInput, imageType: row.image_type as PublicImage['image_type'], official: CONCEPT_COLUMNS.map((c) => Number(row[c])) };
    },
    { concurrency: 2 },
  );
}

/** The training tool's split rule (scripts/concepts/train.py validation_lesion): sha256 of "seed:lesion_id" as a fraction of 2^64. */
function isValidation(lesionId: string, seed: number, fraction: number): boolean {
  const digest = createHash('sha256').update(`${seed}:${lesionId}`).digest();
  return Number(digest.readBigUInt64BE(0)) / 2 ** 64 < fraction;
}

/** Spearman's rank correlation: Pearson's on the ranks, ties sharing their mean rank. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}
