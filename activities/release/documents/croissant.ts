import path from 'node:path';
import type { ManifestEntry } from '../manifest.ts';
import { z } from 'zod';
import { ConceptRow } from '../../../schemas/cases.ts';
import type { ConceptModelDisclosure } from '../../../schemas/concept-model.ts';
import { releaseColumns } from '../../../schemas/release-columns.ts';
import { conceptModelSummary } from './concept-model-disclosure.ts';
import { IMAGE_METADATA_COLUMNS, IMAGE_METADATA_FILE } from './hf-dataset.ts';
import {
  CLASSES,
  CONCEPT_COLUMNS,
  GROUND_TRUTH_HEADER,
  METADATA_HEADER,
  PublicDuplicate,
  PublicExclusion,
  PublicImage,
  PublicLesion,
  Split,
  SPLIT_FILES,
  SPLITS,
  SUPPLEMENT_HEADER,
} from '../../../schemas/release.ts';

/** The Croissant file of a release; it cannot list its own hash, so it is never one of its own file objects. */
export const CROISSANT = 'croissant.json';

export interface CroissantRelease {
  name: string;
  version: string;
  description: string;
  /** URL of the licence deed */
  licenseUrl: string;
  /** the creator named in every metadata row */
  attribution: string;
  citeAs: string;
  url?: string;
  /** when the version was first created (ISO 8601), as the catalog records it: the same for every rewrite of the version */
  datePublished?: string;
  /** what produced the MONET_* columns (Croissant RAI's machineAnnotationTools) */
  conceptModel?: ConceptModelDisclosure;
}

/** One released file as the manifest lists it. */
export type ReleaseFileEntry = ManifestEntry;

const CONFORMS_TO = 'http://mlcommons.org/croissant/1.0';

/** The standard Croissant 1.0 @context (as mlcroissant writes it), so validators find every term they expect. */
const CONTEXT = {
  '@language': 'en',
  '@vocab': 'https://schema.org/',
  citeAs: 'cr:citeAs',
  column: 'cr:column',
  conformsTo: 'dct:conformsTo',
  cr: 'http://mlcommons.org/croissant/',
  rai: 'http://mlcommons.org/croissant/RAI/',
  data: { '@id': 'cr:data', '@type': '@json' },
  dataType: { '@id': 'cr:dataType', '@type': '@vocab' },
  dct: 'http://purl.org/dc/terms/',
  equivalentProperty: 'cr:equivalentProperty',
  examples: { '@id': 'cr:examples', '@type': '@json' },
  extract: 'cr:extract',
  field: 'cr:field',
  fileProperty: 'cr:fileProperty',
  fileObject: 'cr:fileObject',
  fileSet: 'cr:fileSet',
  format: 'cr:format',
  includes: 'cr:includes',
  isLiveDataset: 'cr:isLiveDataset',
  jsonPath: 'cr:jsonPath',
  key: 'cr:key',
  md5: 'cr:md5',
  parentField: 'cr:parentField',
  path: 'cr:path',
  recordSet: 'cr:recordSet',
  references: 'cr:references',
  regex: 'cr:regex',
  repeated: 'cr:repeated',
  replace: 'cr:replace',
  samplingRate: 'cr:samplingRate',
  sc: 'https://schema.org/',
  separator: 'cr:separator',
  source: 'cr:source',
  subField: 'cr:subField',
  transform: 'cr:transform',
};

const ENCODING_FORMATS: Record<string, string> = {
  '.csv': 'text/csv',
  '.parquet': 'application/x-parquet',
  '.json': 'application/json',
  '.md': 'text/markdown',
  '.html': 'text/html',
};

/** Every released column's schema by name, so each field's type comes from the schema that defines the column. */
const COLUMN_SCHEMAS: Record<string, z.ZodType> = {
  ...PublicLesion.shape,
  ...PublicImage.shape,
  ...PublicExclusion.shape,
  ...PublicDuplicate.shape,
  ...ConceptRow.shape.scores.shape,
  // the ground truth's one-hot columns, written as 1.0 / 0.0
  ...Object.fromEntries(CLASSES.map((c) => [c, z.number()])),
  attribution: z.string(),
  copyright_license: z.string(),
  file_name: z.string(),
  split: Split,
  diagnosis_class: PublicLesion.shape.diagnosis_class.nullable(),
};

interface RecordSetSpec {
  id: string;
  file: string;
  description: string;
  columns: readonly string[];
  key?: string;
  /** the DuckDB table whose column descriptions apply (else a column's general description) */
  table?: string;
  /** column -> the record set field it refers to (`record_set/column`) */
  references?: Record<string, string>;
}

const TRAIN_IMAGE_METADATA = `${SPLIT_FILES.train.input}/${IMAGE_METADATA_FILE}`;
const TEST_IMAGE_METADATA = `${SPLIT_FILES.benchmark.input}/${IMAGE_METADATA_FILE}`;
/** The record set that yields each training image with its metadata and label. */
export const TRAINING_IMAGES = 'training_images';

const columnsOf = (schema: z.ZodObject) => Object.keys(schema.shape);

/** The tables a release may hold; a record set is described for each one present among the files. */
const toImages = { isic_id: 'images/isic_id' } as const;
const RECORD_SETS: readonly RecordSetSpec[] = [
  { id: 'training_metadata', file: SPLIT_FILES.train.metadata, columns: METADATA_HEADER, key: 'isic_id', references: { ...toImages, lesion_id: 'lesions/lesion_id' }, description: 'One row per training image: lesion, image type, rights, approximate age, sex, skin tone, site and estimated MONET concept scores (see RELEASE.json conceptModelCard).' },
  { id: 'training_ground_truth', file: 'MILK10k_Training_GroundTruth.csv', columns: GROUND_TRUTH_HEADER, key: 'lesion_id', references: { lesion_id: 'lesions/lesion_id' }, description: 'One row per training lesion: its diagnosis class, one-hot over the 11 classes.' },
  { id: 'training_supplement', file: 'MILK10k_Training_Supplement.csv', columns: SUPPLEMENT_HEADER, key: 'isic_id', references: toImages, description: 'One row per training image: full ISIC-DX diagnosis, how it was confirmed, invasion thickness.' },
  { id: 'test_metadata', file: SPLIT_FILES.benchmark.metadata, columns: METADATA_HEADER, key: 'isic_id', references: { ...toImages, lesion_id: 'benchmark_lesions/lesion_id' }, description: 'One row per benchmark image, as the training metadata; the benchmark labels are not released.' },
  { id: 'training_image_labels', file: TRAIN_IMAGE_METADATA, columns: IMAGE_METADATA_COLUMNS, key: 'isic_id', references: toImages, description: 'The training image folder\'s metadata.parquet (Hugging Face imagefolder): per image its file name, lesion, image type, metadata and diagnosis class.' },
  { id: 'test_image_metadata', file: TEST_IMAGE_METADATA, columns: IMAGE_METADATA_COLUMNS.filter((c) => c !== 'diagnosis_class'), key: 'isic_id', references: toImages, description: 'The benchmark image folder\'s metadata.parquet (Hugging Face imagefolder): per image its file name, lesion, image type and metadata; its diagnosis_class column is NULL (no label).' },
  { id: 'lesions', table: 'lesions', file: 'tables/lesions.parquet', columns: columnsOf(PublicLesion), key: 'lesion_id', description: releaseColumns().table('lesions') },
  { id: 'benchmark_lesions', table: 'benchmark_lesions', file: 'tables/benchmark_lesions.parquet', columns: ['lesion_id', 'centre', 'age_approx', 'sex', 'skin_tone_class', 'site'], key: 'lesion_id', description: releaseColumns().table('benchmark_lesions') },
  // an image's lesion is in lesions or benchmark_lesions as its split says; Croissant references one record set, so none is named
  { id: 'images', table: 'images', file: 'tables/images.parquet', columns: [...columnsOf(PublicImage), 'split', ...CONCEPT_COLUMNS], key: 'isic_id', description: `${releaseColumns().table('images')} An image's lesion_id is a key of lesions (split train) or of benchmark_lesions (split benchmark).` },
  { id: 'exclusions', table: 'exclusions', file: 'tables/exclusions.parquet', columns: columnsOf(PublicExclusion), description: releaseColumns().table('exclusions') },
  { id: 'duplicates', table: 'duplicates', file: 'tables/duplicates.parquet', columns: columnsOf(PublicDuplicate), references: toImages, description: releaseColumns().table('duplicates') },
];

/**
 * The Croissant 1.0 JSON-LD description of a release: a file object for every document and table
 * (with its sha256 and size), a file set per image folder, and a typed record set per table. Pure and
 * ordered by path, so identical inputs give identical bytes.
 */
export function croissantJsonLd(release: CroissantRelease, files: readonly ReleaseFileEntry[]) {
  const listed = [...files].filter((f) => f.path !== CROISSANT).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const imageFolders = SPLITS.map((split) => ({ split, folder: SPLIT_FILES[split].input }));
  const inFolder = (file: ReleaseFileEntry, folder: string) => file.path.startsWith(`${folder}/`);
  const documents = listed.filter((f) => !imageFolders.some(({ folder }) => inFolder(f, folder)) || path.posix.basename(f.path) === IMAGE_METADATA_FILE);
  const notJpeg = listed.find((f) => imageFolders.some(({ folder }) => inFolder(f, folder)) && !f.path.endsWith('.jpg') && !documents.includes(f));
  if (notJpeg) throw new Error(`croissant: ${notJpeg.path} in an image folder is not a .jpg`);
  const fileSets = imageFolders.flatMap(({ split, folder }) => {
    const images = listed.filter((f) => inFolder(f, folder) && f.path.endsWith('.jpg'));
    return images.length === 0 ? [] : [fileSet(folder, `The ${images.length} JPEG images of the ${split} split, one folder per lesion (<lesion_id>/<isic_id>.jpg).`)];
  });
  const present = new Set(documents.map((f) => f.path));
  return {
    '@context': CONTEXT,
    '@type': 'sc:Dataset',
    name: release.name,
    description: release.description,
    conformsTo: CONFORMS_TO,
    version: release.version,
    license: release.licenseUrl,
    creator: { '@type': 'sc:Organization', name: release.attribution },
    citeAs: release.citeAs,
    ...(release.url === undefined ? {} : { url: release.url }),
    ...(release.datePublished === undefined ? {} : { datePublished: release.datePublished }),
    ...(release.conceptModel === undefined ? {} : { 'rai:machineAnnotationTools': [conceptModelSummary(release.conceptModel)] }),
    distribution: [...documents.map(fileObject), ...fileSets],
    recordSet: [
      ...RECORD_SETS.filter((spec) => present.has(spec.file)).map((spec) => recordSet(spec, present)),
      ...(fileSets.some((s) => s['@id'] === SPLIT_FILES.train.input) && present.has(TRAIN_IMAGE_METADATA) ? [trainingImages()] : []),
    ],
  };
}

function fileObject(file: ReleaseFileEntry) {
  const encodingFormat = ENCODING_FORMATS[path.posix.extname(file.path)];
  if (!encodingFormat) throw new Error(`croissant: no encoding format known for ${file.path}`);
  return {
    '@type': 'cr:FileObject',
    '@id': file.path,
    name: file.path,
    contentUrl: file.path,
    encodingFormat,
    contentSize: `${file.size} B`,
    sha256: file.sha256,
  };
}

function fileSet(folder: string, description: string) {
  return { '@type': 'cr:FileSet', '@id': folder, name: folder, description, encodingFormat: 'image/jpeg', includes: `${folder}/*/*.jpg` };
}

function recordSet(spec: RecordSetSpec, present: ReadonlySet<string>) {
  const fileOf = new Map(RECORD_SETS.map((r) => [r.id, r.file]));
  // a reference to a record set the release does not hold (e.g. no benchmark) is left out
  const referencesOf = (column: string) => {
    const target = spec.references?.[column];
    return target && present.has(fileOf.get(target.split('/')[0]!) ?? '') ? { references: { field: { '@id': target } } } : {};
  };
  return {
    '@type': 'cr:RecordSet',
    '@id': spec.id,
    name: spec.id,
    description: spec.description,
    ...(spec.key === undefined ? {} : { key: { '@id': `${spec.id}/${spec.key}` } }),
    field: spec.columns.map((column) => ({
      '@type': 'cr:Field',
      '@id': `${spec.id}/${column}`,
      name: column,
      description: columnDescription(spec, column),
      dataType: dataType(column),
      source: { fileObject: { '@id': spec.file }, extract: { column } },
      ...referencesOf(column),
    })),
  };
}

const columnDescription = (spec: RecordSetSpec, column: string) => releaseColumns().column(spec.table ?? '*', column);

/**
 * Each training image (its JPEG's bytes, from the training file set) with its metadata and label,
 * joined by isic_id, which the file name gives, to the training folder's metadata.parquet.
 */
function trainingImages() {
  const folder = { '@id': SPLIT_FILES.train.input };
  const joined = (column: string) => ({
    '@type': 'cr:Field',
    '@id': `${TRAINING_IMAGES}/${column}`,
    name: column,
    description: releaseColumns().column('*', column),
    dataType: dataType(column),
    source: { field: { '@id': `training_image_labels/${column}` } },
  });
  return {
    '@type': 'cr:RecordSet',
    '@id': TRAINING_IMAGES,
    name: TRAINING_IMAGES,
    description: 'One record per training image: the JPEG, its lesion and image type, the lesion\'s metadata and its diagnosis class (the label).',
    key: { '@id': `${TRAINING_IMAGES}/isic_id` },
    field: [
      {
        '@type': 'cr:Field',
        '@id': `${TRAINING_IMAGES}/image`,
        name: 'image',
        description: releaseColumns().column('*', 'image'),
        dataType: 'sc:ImageObject',
        source: { fileSet: folder, extract: { fileProperty: 'content' } },
      },
      {
        '@type': 'cr:Field',
        '@id': `${TRAINING_IMAGES}/isic_id`,
        name: 'isic_id',
        description: releaseColumns().column('*', 'isic_id'),
        dataType: 'sc:Text',
        source: { fileSet: folder, extract: { fileProperty: 'filename' }, transform: { regex: '^(ISIC_\\d{7})(?:\\.jpg)?$' } },
        references: { field: { '@id': 'training_image_labels/isic_id' } },
      },
      ...['lesion_id', 'image_type', 'image_manipulation', 'age_approx', 'sex', 'skin_tone_class', 'site', 'diagnosis_class'].map(joined),
    ],
  };
}

/** The Croissant data type of a column, from the zod schema that defines it. */
function dataType(column: string): string {
  const schema = COLUMN_SCHEMAS[column];
  if (!schema) throw new Error(`croissant: no schema defines the column ${column}`);
  const inner = schema instanceof z.ZodNullable ? schema.unwrap() : schema;
  if (inner instanceof z.ZodBoolean) return 'sc:Boolean';
  if (inner instanceof z.ZodNumber) return inner.format === 'safeint' ? 'sc:Integer' : 'sc:Float';
  return 'sc:Text';
}
