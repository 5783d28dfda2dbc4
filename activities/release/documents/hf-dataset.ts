import { SPLIT_FILES, type Split } from '../../../schemas/release.ts';

/**
 * The files that make a release load in one line with Hugging Face `datasets`: a `metadata.parquet` in
 * each image folder (imagefolder's convention: `file_name` relative to the folder, then the columns)
 * and a dataset card (`README.md`) whose `configs` name the release's two folders as its two splits,
 * so the lesion folders are not taken for classes. A benchmark image's row never carries a label.
 * (Parquet, not JSON lines: `datasets` infers a JSON-lines file's types, and the benchmark's label
 * column, always NULL, would then differ in type from the training one and the load fail.)
 */

export const IMAGE_METADATA_FILE = 'metadata.parquet';
export const DATASET_CARD = 'README.md';

/** The split names the dataset card gives the release's splits (the benchmark is MILK10k's test set). */
export const HF_SPLITS: Record<Split, string> = { train: 'train', benchmark: 'test' };

/** The columns of an image folder's metadata file, in order (`file_name` relative to the folder). */
export const IMAGE_METADATA_COLUMNS = ['file_name', 'isic_id', 'lesion_id', 'image_type', 'image_manipulation', 'age_approx', 'sex', 'skin_tone_class', 'site', 'diagnosis_class'] as const;

/**
 * The query (over the release database's all_images view) of an image folder's metadata.parquet: one
 * row per image of the split in isic_id order. `diagnosis_class` is the training label and NULL for
 * every benchmark image (all_images never holds a benchmark label); both splits have the same typed
 * columns, as `datasets` requires of the metadata files of one dataset.
 */
export function imageFolderMetadataSql(split: Split): string {
  const columns = IMAGE_METADATA_COLUMNS.map((c) => (c === 'file_name' ? "lesion_id || '/' || isic_id || '.jpg' AS file_name" : c));
  return `SELECT ${columns.join(', ')} FROM all_images WHERE split = '${split === 'train' ? 'train' : 'benchmark'}' ORDER BY isic_id`;
}

export interface DatasetCardInput {
  name: string;
  version: string;
  description: string;
  license: string;
  licenseUrl?: string;
  attribution: string;
  citation: string;
  url?: string;
  counts: Record<Split, { lesions: number; images: number }>;
}

const yamlString = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar

/** The release's `README.md`: YAML front matter for the Hugging Face Hub and `datasets`, then how to load the release each way. */
export function datasetCard(input: DatasetCardInput): string {
  const { train, benchmark } = SPLIT_FILES;
  return [
    '---',
    `pretty_name: ${yamlString(`${input.name} ${input.version}`)}`,
    'license: other',
    `license_name: ${yamlString(input.license)}`,
    ...(input.licenseUrl ? [`license_link: ${yamlString(input.licenseUrl)}`] : []),
    'task_categories:',
    '- image-classification',
    'configs:',
    '- config_name: default',
    '  data_files:',
    `  - split: ${HF_SPLITS.train}`,
    `    path: "${train.input}/**"`,
    `  - split: ${HF_SPLITS.benchmark}`,
    `    path: "${benchmark.input}/**"`,
    '---',
    '',
    `# ${input.name} ${input.version}`,
    '',
    input.description,
    '',
    `- train: ${input.counts.train.lesions} lesions, ${input.counts.train.images} images (\`${train.input}/<lesion_id>/<isic_id>.jpg\`), labelled;`,
    `- test (the benchmark): ${input.counts.benchmark.lesions} lesions, ${input.counts.benchmark.images} images (\`${benchmark.input}/\`), no labels.`,
    '',
    '## Loading',
    '',
    '- Hugging Face `datasets`: `load_dataset("<this folder>")` (this card\'s `configs`; with `load_dataset("imagefolder", ...)` pass `data_files={"train": "MILK10k_Training_Input/**", "test": "MILK10k_Test_Input/**"}`): splits `train` and `test`; columns `image`, `isic_id`, `lesion_id`, `image_type`, `image_manipulation`, `age_approx`, `sex`, `skin_tone_class`, `site`, and `diagnosis_class` (the label; NULL for every test image; from each folder\'s `metadata.parquet`).',
    '- Croissant (`croissant.json`, e.g. `mlcroissant`): the record set `training_images` yields image, metadata and label per training image; every table is a record set.',
    '- DuckDB (`milk10k.duckdb`): tables `lesions`, `benchmark_lesions`, `images`, `exclusions`, `duplicates`, views `all_lesions` and `all_images` over both splits with a `split` column; every table and column carries a comment (`SELECT * FROM duckdb_columns()`).',
    '- pandas / pyarrow: `tables/*.parquet`, and the official CSVs `MILK10k_Training_Metadata.csv`, `MILK10k_Training_GroundTruth.csv`, `MILK10k_Training_Supplement.csv`, `MILK10k_Test_Metadata.csv`.',
    '',
    'Every file is listed with its sha256 in `MANIFEST.sha256`; `DATASHEET.html` describes the data, `CHANGES.md` what changed since the previous version.',
    '',
    '## Licence and citation',
    '',
    `Images and metadata: ${input.license}${input.licenseUrl ? ` (${input.licenseUrl})` : ''}, attribution: ${input.attribution}.`,
    '',
    `Cite as: ${input.citation}`,
    ...(input.url ? ['', `More: ${input.url}`] : []),
    '',
  ].join('\n');
}
