import { z } from 'zod';
import { CONCEPT_COLUMNS, IMAGE_TYPES } from './release.ts';

/**
 * A concept model is a folder: `manifest.json` (this schema), the ONNX file it names and, for an
 * encoder, the concept prompt embeddings. The folder's content hash is the model version, which keys
 * the score cache: a changed model rescores every image on the next build.
 */

export const CONCEPT_MODEL_MANIFEST = 'manifest.json';

const ConceptColumn = z.enum(CONCEPT_COLUMNS);

/** How the pipeline's concept input (8-bit RGB, CONCEPT_INPUT_SIDE²) becomes the model's image tensor: (pixel * scale - mean) / std per channel. */
const ImageInput = z.strictObject({
  name: z.string().min(1),
  side: z.number().int().positive().describe('square input side in pixels; must be the concept input QC makes'),
  layout: z.enum(['NCHW', 'NHWC']),
  channels: z.literal('RGB'),
  scale: z.number().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
});

/** Optional second input, float32 [N,1]: the image's type as the number given here. */
const ImageTypeInput = z.strictObject({
  name: z.string().min(1),
  values: z.strictObject(Object.fromEntries(IMAGE_TYPES.map((t) => [t, z.number()])) as Record<(typeof IMAGE_TYPES)[number], z.ZodNumber>),
});

const Agreement = z.strictObject({
  images: z.number().int().nonnegative(),
  meanRho: z.number(),
  rho: z.record(ConceptColumn, z.number()),
});

const Common = {
  name: z.string().min(1),
  version: z.string().min(1),
  model: z.string().min(1).describe('the ONNX file, relative to the folder'),
  input: ImageInput,
  imageType: ImageTypeInput.optional(),
  training: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('what the model learnt from, for the release documents'),
  agreement: z.record(z.string(), Agreement).optional().describe('Spearman rho with MONET per concept, over all images ("all") and per image type'),
};

/** (a) A direct regressor: one output [N, columns] with the scores in [0, 1]. */
export const RegressorManifest = z.strictObject({
  ...Common,
  kind: z.literal('regressor'),
  output: z.strictObject({ name: z.string().min(1), columns: z.array(ConceptColumn).length(CONCEPT_COLUMNS.length) }),
});

/** (b) A MONET-style image encoder: one output [N, D], compared with the shipped prompt embeddings. */
export const EncoderManifest = z.strictObject({
  ...Common,
  kind: z.literal('encoder'),
  output: z.strictObject({ name: z.string().min(1) }),
  prompts: z.string().min(1).describe('the concept prompt embeddings (ConceptPrompts), relative to the folder'),
});

export const ConceptModelManifest = z.discriminatedUnion('kind', [RegressorManifest, EncoderManifest]);
export type ConceptModelManifest = z.infer<typeof ConceptModelManifest>;

/**
 * MONET's scoring of one concept, per prompt template k ("This is skin image of {}", ...): target[k]
 * is the mean over the concept's terms of the L2-normalised text embeddings of the filled-in template,
 * reference[k] that of the template's reference prompt ("This is skin image"). The score is the mean
 * over k of softmax([cos(image, target[k]), cos(image, reference[k])] / temperature)[0].
 */
export const ConceptPrompts = z.strictObject({
  temperature: z.number().positive().describe('MONET: exp(-4.5944)'),
  concepts: z
    .array(
      z.strictObject({
        column: ConceptColumn,
        target: z.array(z.array(z.number())).min(1),
        reference: z.array(z.array(z.number())).min(1),
      }).refine((c) => c.target.length === c.reference.length, 'one reference embedding per target embedding (prompt template)'),
    )
    .length(CONCEPT_COLUMNS.length),
});
export type ConceptPrompts = z.infer<typeof ConceptPrompts>;

/** What the release documents say about the model that produced the MONET_* columns. */
export const ConceptModelDisclosure = z.strictObject({
  name: z.string(),
  version: z.string().describe('name@content hash of the model folder'),
  kind: z.enum(['regressor', 'encoder']),
  training: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  agreement: z.record(z.string(), Agreement).optional(),
});
export type ConceptModelDisclosure = z.infer<typeof ConceptModelDisclosure>;
