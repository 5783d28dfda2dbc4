/**
 * Makes the concept model's training inputs exactly as the pipeline presents them: each image of one
 * or more MILK10k layouts goes through de-identification and the QC decode (measureImage), whose
 * concept input is kept. Writes, to the output folder:
 *   inputs-<side>.u8   N x side x side x 3 bytes (RGB interleaved, as QC writes it)
 *   index-<side>.csv   lesion_id, isic_id, image_type and the official MONET_* scores, one row per input
 * Usage: npx tsx scripts/concepts/prepare-inputs.ts OUT_DIR LAYOUT_DIR...
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import pMap from 'p-map';
import { deidentifyImage } from '../../activities/deidentify/deidentify-image.ts';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import { CONCEPT_COLUMNS } from '../../schemas/release.ts';

const [outDir, ...layouts] = process.argv.slice(2);
if (!outDir || layouts.length === 0) {
  console.error('usage: prepare-inputs.ts OUT_DIR LAYOUT_DIR...');
  process.exit(2);
}

type Row = Record<string, string>;
const rows: Row[] = [];
for (const layout of layouts) {
  const metadata = parse(await readFile(path.join(layout, 'MILK10k_Training_Metadata.csv')), { columns: true }) as Row[];
  for (const row of metadata) rows.push({ ...row, file: path.join(layout, 'MILK10k_Training_Input', row.lesion_id!, `${row.isic_id}.jpg`) });
}
rows.sort((a, b) => a.isic_id!.localeCompare(b.isic_id!));

await mkdir(outDir, { recursive: true });
const inputs = await pMap(
  rows,
  async (row, i) => {
    const { jpeg } = await deidentifyImage(await readFile(row.file!));
    const { conceptInput } = await measureImage(jpeg);
    if ((i + 1) % 500 === 0) console.error(`${i + 1}/${rows.length}`);
    return conceptInput;
  },
  { concurrency: 2 },
);
const out = createWriteStream(path.join(outDir, `inputs-${CONCEPT_INPUT_SIDE}.u8`));
for (const input of inputs) out.write(input);
await new Promise((resolve) => out.end(resolve));
const header = ['lesion_id', 'isic_id', 'image_type', ...CONCEPT_COLUMNS];
await writeFile(path.join(outDir, `index-${CONCEPT_INPUT_SIDE}.csv`), stringify(rows.map((r) => header.map((h) => r[h])), { header: true, columns: header }));
console.error(`wrote ${rows.length} inputs of ${CONCEPT_INPUT_SIDE}x${CONCEPT_INPUT_SIDE} to ${outDir}`);
