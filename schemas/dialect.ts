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
});
export type DialectColumns = z.infer<typeof DialectColumns>;
export type HarmonisedField = keyof DialectColumns;

/** How one centre exports: file layout, text encoding, column names, date format and local wording. */
export const Dialect = z.strictObject({
  metadataFile: z.string().min(1).describe('path of the metadata CSV inside the drop'),
  delimiter: z.string().length(1).default(','),
  encoding: z.enum(['utf8', 'utf8-bom', 'latin1']).default('utf8'),
  dateFormat: z.string().default('yyyy-MM-dd').describe('date-fns format of birth and exam dates'),
  columns: DialectColumns,
  values: z
    .object({
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
});
export type Dialect = z.infer<typeof Dialect>;
export type ValueMapField = keyof NonNullable<Dialect['values']>;
