import { z } from 'zod';

/** Value maps translate a centre's local wording into the release vocabulary; keys are matched after trimming, case-insensitively. */
const valueMap = z.record(z.string(), z.string()).default({});

/** The harmonised fields a centre export can carry, and which of its columns holds each. */
export const DialectColumns = z.strictObject({
  patientId: z.string(),
  lesionId: z.string(),
  imageFile: z.string(),
  imageType: z.string(),
  diagnosis: z.string(),
  patientName: z.string().optional(),
  birthDate: z.string().optional(),
  examDate: z.string().optional(),
  age: z.string().optional(),
  sex: z.string().optional(),
  site: z.string().optional(),
  skinTone: z.string().optional(),
  confirmType: z.string().optional(),
  invasionThickness: z.string().optional(),
  manipulation: z.string().optional(),
  concomitantBiopsy: z.string().optional().describe('yes/no: the image was taken with the biopsy (ISIC picks such an image first)'),
});
export type DialectColumns = z.infer<typeof DialectColumns>;
export type HarmonisedField = keyof DialectColumns;

/** Extensions of the images a drop may hold: what retrieval classifies as an image, and what a sidecar's image may end in. */
export const IMAGE_EXTENSION = /\.(jpe?g|png|tiff?)$/i;

/** What every layout shares: text encoding, column names, date format and local wording. */
const common = {
  encoding: z.enum(['utf8', 'utf8-bom', 'latin1']).default('utf8'),
  dateFormat: z.string().default('yyyy-MM-dd').describe('date-fns format of birth and exam dates'),
  columns: DialectColumns,
  values: z
    .strictObject({
      imageType: valueMap,
      diagnosis: valueMap,
      sex: valueMap,
      site: valueMap,
      skinTone: valueMap,
      confirmType: valueMap,
      manipulation: valueMap,
    })
    .partial()
    .default({}),
};

/** A key another layout reads: refused, naming who reads it, so a misplaced key is not silently ignored. */
const onlyFor = (layout: string) => z.never({ error: `not used by this layout, only by layout ${layout}` }).optional();

const metadataFile = z
  .string({ error: (issue) => (issue.input === undefined ? 'required by layouts csv and jsonl: the path of the metadata file inside the drop' : undefined) })
  .min(1);

/** Today's export: one delimited file with a header row. The default layout. */
const CsvDialect = z.strictObject({
  // optional before default: the discriminated union then sends a dialect without `layout` here
  layout: z.literal('csv').optional().default('csv'),
  metadataFile: metadataFile.describe('path of the delimited metadata file inside the drop'),
  delimiter: z.string().length(1).default(','),
  sidecarExtension: onlyFor('sidecar'),
  ...common,
});

/** One JSON object per line of one file; its keys are the column names, its values strings or numbers. */
const JsonlDialect = z.strictObject({
  layout: z.literal('jsonl'),
  metadataFile: metadataFile.describe('path of the JSON-lines metadata file inside the drop'),
  delimiter: onlyFor('csv'),
  sidecarExtension: onlyFor('sidecar'),
  ...common,
});

/** One JSON object next to each image (same stem), typically one folder per patient; every sidecar is a metadata file. */
const SidecarDialect = z.strictObject({
  layout: z.literal('sidecar'),
  metadataFile: z.never({ error: 'not used by layout sidecar: every sidecar file is a metadata file' }).optional(),
  delimiter: onlyFor('csv'),
  sidecarExtension: z
    .string()
    .regex(/^(\.[A-Za-z0-9_-]+)+$/, "a file extension with its dot, e.g. '.json'")
    .refine((extension) => !IMAGE_EXTENSION.test(extension), 'must not be an image extension')
    .default('.json'),
  ...common,
});

/** How one centre exports: file layout, text encoding, column names, date format and local wording. */
export const Dialect = z.discriminatedUnion('layout', [CsvDialect, JsonlDialect, SidecarDialect], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected csv (the default), jsonl or sidecar' : undefined),
});
export type Dialect = z.infer<typeof Dialect>;
export type ValueMapField = keyof NonNullable<Dialect['values']>;
