import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_IMAGE_FORMATS, ImageFormat } from './image-format.ts';
import { Dialect } from './dialect.ts';
import { QC_CHECKS } from './qc-checks.ts';
import { TemporalConfig } from './temporal-config.ts';

const FolderSource = z.strictObject({
  type: z.literal('folder'),
  path: z.string().min(1).describe('folder holding the centre drop, relative to the config file'),
});

/** Credentials never live in the config: it names the environment variables that hold them. */
const S3Credentials = z.strictObject({
  accessKeyIdEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
  secretAccessKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name'),
});

const S3Source = z.strictObject({
  type: z.literal('s3'),
  bucket: z.string().min(1),
  prefix: z.string().default('').describe("key prefix of the drop, e.g. 'drops/vienna/'"),
  endpoint: z.string().url().optional().describe('for S3-compatible stores; AWS when absent'),
  region: z.string().default('us-east-1'),
  forcePathStyle: z.boolean().default(false),
  credentials: S3Credentials.optional().describe('environment variable names; the standard AWS chain when absent'),
});

/** Where a release is published: an S3 bucket and prefix (each version under `<prefix><name>-<version>/`). */
export const PublishTarget = S3Source.omit({ type: true });
export type PublishTarget = z.infer<typeof PublishTarget>;

/** Where the pipeline keeps its state: a local (or mounted) folder, or an S3 prefix every worker machine reaches. */
export const StorageLocation = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('folder'), root: z.string().min(1) }),
  PublishTarget.extend({ kind: z.literal('s3') }),
]);
export type StorageLocation = z.infer<typeof StorageLocation>;

const S3_ROOT = /^s3:\/\/([^/]+)\/?(.*)$/;

export const CentreSource = z.discriminatedUnion('type', [FolderSource, S3Source]);
export type CentreSource = z.infer<typeof CentreSource>;
export type S3Source = z.infer<typeof S3Source>;

export const Centre = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ or -, starting with a letter'),
  name: z.string().min(1),
  source: CentreSource,
  dialect: Dialect,
});
export type Centre = z.infer<typeof Centre>;

const QcCheckSetting = z.strictObject({
  threshold: z.number().optional(),
  action: z.enum(['exclude', 'warn', 'off']).optional(),
});

/**
 * Burned-in text detection (PaddleOCR PP-OCRv4 detection + recognition, activities/deidentify/text-reader.ts).
 * Part of the text cache's key: changing any of these re-reads every image, not re-decodes it.
 */
export const TextConfig = z.strictObject({
  enabled: z.boolean().default(true).describe('run text detection on every image (the burned-in-text and phi-in-pixels checks need it)'),
  side: z.number().int().min(160).max(1920).default(640).describe("longest side, in pixels, the detector sees the image at (rounded to a multiple of 32)"),
  binaryThreshold: z.number().min(0).max(1).default(0.3).describe('text probability from which a pixel of the detection map is text'),
  boxThreshold: z.number().min(0).max(1).default(0.6).describe('mean text probability a region needs to be read'),
  unclipRatio: z.number().positive().default(1.5).describe('how far a detected region grows back out (area · ratio / perimeter)'),
  maxRegions: z.number().int().min(1).default(8).describe('regions read per image, highest box score first'),
});
export type TextConfig = z.infer<typeof TextConfig>;

export const QcConfig = z.strictObject({
  /** per check (see schemas/qc-checks.ts for names, scores and defaults): threshold and action */
  checks: z
    .record(z.string(), QcCheckSetting)
    .superRefine((checks, ctx) => {
      // A misspelled check would otherwise be accepted and silently do nothing.
      const known = QC_CHECKS.map((c) => c.name);
      for (const name of Object.keys(checks)) {
        if (!known.includes(name)) ctx.addIssue({ code: 'custom', path: [name], message: `unknown check; the checks are ${known.join(', ')}` });
      }
    })
    .default({}),
  duplicates: z
    .strictObject({
      maxDistance: z.number().int().min(0).max(32).default(8).describe('pHash Hamming distance up to which two images (or a mirrored or 3°-rotated variant of one) are near-duplicate candidates'),
      minScore: z.number().min(-1).max(1).default(0.8).describe('aligned detail correlation from which a candidate pair is confirmed as a near duplicate'),
    })
    .default({ maxDistance: 8, minScore: 0.8 }),
  text: TextConfig.default(TextConfig.parse({})),
  review: z
    .strictObject({
      awaitMinutes: z.number().positive().default(1440).describe('how long `milk build --await-review` waits after QC for open flags to be resolved before it goes on by itself'),
    })
    .default({ awaitMinutes: 1440 }),
});
export type QcConfig = z.infer<typeof QcConfig>;

/** The held-out benchmark set: its size (a fraction of lesions, or a lesion count) and the seed of its draw. */
export const BenchmarkConfig = z
  .strictObject({
    fraction: z.number().gt(0).lt(1).optional().describe('share of lesions held out (MILK10k: 479 of 5,240)'),
    lesions: z.number().int().positive().optional().describe('number of lesions held out, instead of fraction'),
    seed: z.string().default('milk10k-benchmark').describe('seeds the draw; changing it never moves an assigned lesion'),
  })
  .refine((b) => !(b.fraction !== undefined && b.lesions !== undefined), 'set fraction or lesions, not both')
  .transform((b) => ({ ...b, fraction: b.lesions === undefined ? (b.fraction ?? 479 / 5240) : undefined }));
export type BenchmarkConfig = z.infer<typeof BenchmarkConfig>;

/** A scheduled rebuild: becomes a Temporal Schedule (overlap policy skip) by `milk schedule apply`. */
export const ScheduleConfig = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ or -, starting with a letter'),
    cron: z.string().optional().describe("cron expression, e.g. '0 2 * * *' (UTC)"),
    every: z.string().regex(/^\d+(s|m|h|d)$/, "an interval like '30m', '6h' or '1d'").optional(),
    paused: z.boolean().default(false),
    note: z.string().optional(),
  })
  .refine((s) => (s.cron === undefined) !== (s.every === undefined), 'set exactly one of cron or every');
export type ScheduleConfig = z.infer<typeof ScheduleConfig>;

/** The bundled concept model: distilled from MONET's MILK10k scores (its MODEL_CARD.md). */
const DEFAULT_CONCEPT_MODEL = 'activities/concepts/model/monet-distilled';


export const MilkConfig = z.strictObject({
  dataset: z.string().regex(/^[A-Za-z0-9_-]+$/).default('milk10k'),
  temporal: TemporalConfig,
  storage: z
    .strictObject({
      root: z.string().min(1).default('data').describe('a folder relative to the config file, or s3://bucket/prefix shared by every worker machine'),
      s3: PublishTarget.omit({ bucket: true, prefix: true }).optional().describe('how to reach an s3:// root: endpoint, region, path style, credentials'),
    })
    .default({ root: 'data' }),
  ingest: z
    .strictObject({
      batchSize: z.number().int().positive().default(50),
      window: z.number().int().positive().default(4),
      imagesInFlight: z.number().int().positive().default(4),
      imageThreads: z.number().int().nonnegative().default(0).describe('threads per worker process for de-identification and QC; 0 = one per core'),
      imageTimeoutSeconds: z.number().positive().default(120).describe('an image still being processed after this long (twice, the second time alone in a thread) is excluded as decoder-timeout'),
      fetchesInFlight: z.number().int().positive().default(16).describe('objects fetched concurrently per centre'),
      maxObjectBytes: z.number().int().positive().default(100 * 1024 * 1024).describe('larger objects are excluded as too-large'),
      imageFormats: z
        .array(ImageFormat)
        .min(1)
        .default([...DEFAULT_IMAGE_FORMATS])
        .describe('raster formats accepted, identified by content; anything else (SVG, PDF, ...) is excluded as unsupported-format'),
    })
    .default({ batchSize: 50, window: 4, imagesInFlight: 4, imageThreads: 0, imageTimeoutSeconds: 120, fetchesInFlight: 16, maxObjectBytes: 100 * 1024 * 1024, imageFormats: [...DEFAULT_IMAGE_FORMATS] }),
  qc: QcConfig.default(QcConfig.parse({})),
  concepts: z
    .strictObject({
      model: z.string().default(DEFAULT_CONCEPT_MODEL).describe('a concept model folder: manifest.json + model.onnx (schemas/concept-model.ts)'),
      batchSize: z.number().int().positive().default(64),
      device: z.enum(['cpu', 'cuda']).default('cpu').describe("onnxruntime's execution provider for the concept model"),
    })
    .default({ model: DEFAULT_CONCEPT_MODEL, batchSize: 64, device: 'cpu' }),
  release: z.strictObject({
    name: z.string().default('MILK10k'),
    description: z
      .string()
      .default('A multimodal skin-lesion dataset: for each lesion one clinical close-up and one dermoscopic image, with metadata, ISIC-DX diagnoses mapped to 11 classes, and MONET concept scores.')
      .describe('one paragraph, in the Croissant description and the datasheet'),
    citation: z.string().default('MILK10k: a multimodal skin-lesion dataset. ISIC Archive.').describe('how to cite the release (Croissant citeAs)'),
    url: z.string().url().optional().describe("the dataset's landing page"),
    dir: z.string().default('release').describe('relative to storage.root'),
    attribution: z.string().min(1),
    license: z.string().min(1),
    licenseUrl: z.string().url().optional().describe('licence deed, embedded in every image as xmpRights:WebStatement'),
    supplier: z.string().min(1).default('ISIC Archive').describe('embedded in every image as photoshop:Source'),
    publish: PublishTarget.optional().describe('where `milk release publish` uploads a release'),
    publishAfterBuild: z.boolean().default(false).describe('publish to release.publish as the last step of every build (an activity: retried, recorded in provenance)'),
  }),
  benchmark: BenchmarkConfig.default(BenchmarkConfig.parse({})),
  schedules: z
    .array(ScheduleConfig)
    .default([])
    .refine((ss) => new Set(ss.map((s) => s.id)).size === ss.length, 'schedule ids must be unique'),
  centres: z.array(Centre).min(1).refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, 'centre ids must be unique'),
});
export type MilkConfig = z.infer<typeof MilkConfig>;

/** A validated config plus where it came from, with every relative path resolved. */
export interface LoadedConfig {
  config: MilkConfig;
  file: string;
  /** sha256 of the validated config (without temporal, schedules and publish), so a worker can refuse a build planned from a different one. */
  hash: string;
  storage: StorageLocation;
  /** the storage root as the user gave it, resolved: a folder path, or the s3:// URL */
  storageRoot: string;
  modelPath: string;
  /** the folder of a folder source, resolved against the config file */
  centreFolder(centre: Centre): string;
}

export class ConfigError extends Error {}

/** Formats zod issues as `key.path: message` lines so the user can find the key in temporal.yml. */
export function describeIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return `${file} is not a valid config:\n${lines.join('\n')}`;
}

export function parseConfig(raw: unknown, file: string): LoadedConfig {
  const result = MilkConfig.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(file, result.error));
  const config = result.data;
  if (process.env.TEMPORAL_ADDRESS) config.temporal.address = process.env.TEMPORAL_ADDRESS;
  // The UI link follows the server actually running (a dev server on another port), like the address.
  if (process.env.TEMPORAL_UI_ADDRESS) config.temporal.uiAddress = process.env.TEMPORAL_UI_ADDRESS;
  const base = path.dirname(path.resolve(file));
  const projectRoot = path.resolve(import.meta.dirname, '..');
  const storage = storageLocation(config.storage, base, file);
  const storageRoot = storage.kind === 'folder' ? storage.root : `s3://${storage.bucket}/${storage.prefix}`;
  return {
    config,
    file: path.resolve(file),
    hash: configHash(config, storage, base),
    storage,
    storageRoot,
    // The bundled model lives in the project; a config may name its own model relative to itself.
    modelPath: path.isAbsolute(config.concepts.model)
      ? config.concepts.model
      : [path.resolve(base, config.concepts.model), path.resolve(projectRoot, config.concepts.model)].find(existsSync) ??
        path.resolve(base, config.concepts.model),
    centreFolder: (centre) => {
      if (centre.source.type !== 'folder') throw new Error(`centre ${centre.id} has no folder source`);
      return path.resolve(base, centre.source.path);
    },
  };
}

/**
 * The identity of what a build's output depends on, by content: the config with every location
 * resolved (the storage root and folder sources as absolute paths, S3 roots by endpoint, bucket and
 * prefix), so two configs in different folders that read alike are different configs. How to reach
 * Temporal, when to rebuild and where to publish are left out.
 */
function configHash(config: MilkConfig, storage: StorageLocation, base: string): string {
  const centres = config.centres.map((c) => (c.source.type === 'folder' ? { ...c, source: { ...c.source, path: path.resolve(base, c.source.path) } } : c));
  const identity = { ...config, temporal: undefined, schedules: undefined, storage, centres, release: { ...config.release, publish: undefined, publishAfterBuild: undefined } };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** `storage.root` resolved: a folder against the config file's folder, or an s3:// URL with `storage.s3`'s connection. */
function storageLocation(storage: MilkConfig['storage'], base: string, file: string): StorageLocation {
  const s3 = S3_ROOT.exec(storage.root);
  if (!s3) {
    if (storage.s3) throw new ConfigError(`${file}: storage.s3 is set but storage.root ${storage.root} is not an s3:// URL`);
    return { kind: 'folder', root: path.resolve(base, storage.root) };
  }
  const prefix = s3[2] === '' || s3[2]!.endsWith('/') ? s3[2]! : `${s3[2]}/`;
  return StorageLocation.parse({ kind: 's3', bucket: s3[1], prefix, ...(storage.s3 ?? {}) });
}

export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(raw, file);
}

export const DEFAULT_CONFIG_FILE = path.resolve(import.meta.dirname, '..', 'temporal.yml');
