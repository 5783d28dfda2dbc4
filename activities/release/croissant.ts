import path from 'node:path';
import type { ManifestEntry } from './manifest.ts';
import { z } from 'zod';
import { ConceptRow } from '../../schemas/cases.ts';
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
} from '../../schemas/release.ts';

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
  split: Split,
};

interface RecordSetSpec {
  id: string;
  file: string;
  description: string;
  columns: readonly string[];
  key?: string;
}

const columnsOf = (schema: z.ZodObject) => Object.keys(schema.shape);

/** The tables a release may hold; a record set is described for each one present among the files. */
const RECORD_SETS: readonly RecordSetSpec[] = [
  { id: 'training_metadata', file: SPLIT_FILES.train.metadata, columns: METADATA_HEADER, key: 'isic_id', description: 'One row per training image: lesion, image type, rights, approximate age, sex, skin tone, site and MONET concept scores.' },
  { id: 'training_ground_truth', file: 'MILK10k_Training_GroundTruth.csv', columns: GROUND_TRUTH_HEADER, key: 'lesion_id', description: 'One row per training lesion: its diagnosis class, one-hot over the 11 classes.' },
  { id: 'training_supplement', file: 'MILK10k_Training_Supplement.csv', columns: SUPPLEMENT_HEADER, key: 'isic_id', description: 'One row per training image: full ISIC-DX diagnosis, how it was confirmed, invasion thickness.' },
  { id: 'test_metadata', file: SPLIT_FILES.benchmark.metadata, columns: METADATA_HEADER, key: 'isic_id', description: 'One row per benchmark image, as the training metadata; the benchmark labels are not released.' },
  { id: 'lesions', file: 'tables/lesions.parquet', columns: columnsOf(PublicLesion), key: 'lesion_id', description: 'The training lesions with their metadata, centre, diagnosis and ISIC-DX hierarchy.' },
  { id: 'benchmark_lesions', file: 'tables/benchmark_lesions.parquet', columns: ['lesion_id', 'centre', 'age_approx', 'sex', 'skin_tone_class', 'site'], key: 'lesion_id', description: 'The benchmark lesions with their metadata, without labels.' },
  { id: 'images', file: 'tables/images.parquet', columns: [...columnsOf(PublicImage), 'split', ...CONCEPT_COLUMNS], key: 'isic_id', description: 'Every released image: lesion, split, released bytes hash, size, QC scores and warnings, duplicate group, concept scores.' },
  { id: 'exclusions', file: 'tables/exclusions.parquet', columns: columnsOf(PublicExclusion), description: 'What did not enter the release, by centre, stage, entity and reason code.' },
  { id: 'duplicates', file: 'tables/duplicates.parquet', columns: columnsOf(PublicDuplicate), description: 'The released members of each exact or near duplicate group.' },
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
  const documents = listed.filter((f) => !imageFolders.some(({ folder }) => inFolder(f, folder)));
  const fileSets = imageFolders.flatMap(({ split, folder }) => {
    const images = listed.filter((f) => inFolder(f, folder));
    const notJpeg = images.find((f) => !f.path.endsWith('.jpg'));
    if (notJpeg) throw new Error(`croissant: ${notJpeg.path} in an image folder is not a .jpg`);
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
    distribution: [...documents.map(fileObject), ...fileSets],
    recordSet: RECORD_SETS.filter((spec) => present.has(spec.file)).map(recordSet),
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

function recordSet(spec: RecordSetSpec) {
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
      dataType: dataType(column),
      source: { fileObject: { '@id': spec.file }, extract: { column } },
    })),
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
