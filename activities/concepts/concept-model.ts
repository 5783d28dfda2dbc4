import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { z } from 'zod';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import { CONCEPT_MODEL_MANIFEST, ConceptModelManifest, ConceptPrompts, type ConceptModelDisclosure } from '../../schemas/concept-model.ts';
import { CONCEPT_COLUMNS, type ConceptScores, type PublicImage } from '../../schemas/release.ts';
import { sha256 } from '../storage/files.ts';

/** One image to score: its concept input (CONCEPT_INPUT_SIDE² RGB pixels, interleaved, as QC derived them) and its type. */
export interface ConceptImage {
  pixels: Uint8Array;
  imageType: PublicImage['image_type'];
}

/** Where the model runs: onnxruntime's CPU provider, or CUDA on a machine that has it. */
export type ConceptDevice = 'cpu' | 'cuda';

/**
 * A concept model folder (schemas/concept-model.ts): a direct regressor, or a MONET-style image
 * encoder scored against the concept prompt embeddings shipped beside it. One session per worker
 * process; the version is the folder's content hash, so it keys the score cache.
 */
export class ConceptModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ConceptModelManifest,
    private readonly prompts: ConceptPrompts | undefined,
    readonly version: string,
  ) {}

  static async load(folder: string, device: ConceptDevice = 'cpu'): Promise<ConceptModel> {
    const { manifest, version } = await readConceptFolder(folder);
    const prompts = manifest.kind === 'encoder' ? parseJson(path.join(folder, manifest.prompts), ConceptPrompts, await readFile(path.join(folder, manifest.prompts), 'utf8')) : undefined;
    const session = await createSession(await readFile(path.join(folder, manifest.model)), device, folder);
    return new ConceptModel(session, manifest, prompts, version);
  }

  /** What the release documents say about this model. */
  get disclosure(): ConceptModelDisclosure {
    return disclosureOf(this.manifest, this.version);
  }

  /** Scores a batch in one inference call, in input order. */
  async score(images: readonly ConceptImage[]): Promise<ConceptScores[]> {
    if (images.length === 0) return [];
    const { input, imageType, output } = this.manifest;
    const feeds: Record<string, ort.Tensor> = { [input.name]: imageTensor(images, input) };
    if (imageType) feeds[imageType.name] = new ort.Tensor('float32', Float32Array.from(images, (i) => imageType.values[i.imageType]), [images.length, 1]);
    const result = (await this.session.run(feeds))[output.name];
    if (!result) throw new Error(`concept model ${this.version} gave no output ${output.name}`);
    const values = result.data as Float32Array;
    const rows = this.manifest.kind === 'regressor' ? regressorRows(values, images.length, this.manifest.output.columns) : promptScores(values, images.length, this.prompts!);
    return rows.map((row) => Object.fromEntries(CONCEPT_COLUMNS.map((c) => [c, Math.round(row[c] * 1e6) / 1e6])) as ConceptScores);
  }
}

/** A model folder's manifest and version, without starting an inference session (the release writer only names the model). */
export async function readConceptFolder(folder: string): Promise<{ manifest: ConceptModelManifest; version: string; disclosure: ConceptModelDisclosure }> {
  const manifestFile = path.join(folder, CONCEPT_MODEL_MANIFEST);
  const manifest = parseJson(manifestFile, ConceptModelManifest, await readFile(manifestFile, 'utf8').catch(() => notAModel(folder)));
  if (manifest.input.side !== CONCEPT_INPUT_SIDE) {
    throw new Error(`concept model ${folder} wants ${manifest.input.side}x${manifest.input.side} input; QC makes ${CONCEPT_INPUT_SIDE}x${CONCEPT_INPUT_SIDE} (CONCEPT_INPUT_SIDE)`);
  }
  const version = `${manifest.name}@${(await folderHash(folder)).slice(0, 12)}`;
  return { manifest, version, disclosure: disclosureOf(manifest, version) };
}

function disclosureOf({ name, kind, training, agreement }: ConceptModelManifest, version: string): ConceptModelDisclosure {
  return { name, version, kind, ...(training && { training }), ...(agreement && { agreement }) };
}

async function createSession(bytes: Buffer, device: ConceptDevice, folder: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, { executionProviders: [device], intraOpNumThreads: device === 'cpu' ? 1 : undefined });
  } catch (err) {
    if (device === 'cuda') throw new Error(`concepts.device is cuda, but onnxruntime-node could not use its CUDA provider on this machine (${(err as Error).message}); set concepts.device: cpu or run the inference worker where CUDA is installed`);
    throw new Error(`concept model ${folder}: ${(err as Error).message}`);
  }
}

/** The folder's identity: every file's name and content, sorted. */
async function folderHash(folder: string): Promise<string> {
  const files = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  const parts = await Promise.all(files.map(async (f) => `${f}\u0000${sha256(await readFile(path.join(folder, f)))}`));
  return sha256(parts.join('\n'));
}

function parseJson<T extends z.ZodType>(file: string, schema: T, text: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`'${file}' is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`'${file}' is not a valid concept model file: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function notAModel(folder: string): never {
  throw new Error(`concept model ${folder} has no ${CONCEPT_MODEL_MANIFEST} (concepts.model names a model folder: manifest.json + model.onnx)`);
}

/** The pipeline's interleaved 8-bit pixels as the model's float tensor, normalised as its manifest says. */
function imageTensor(images: readonly ConceptImage[], input: ConceptModelManifest['input']): ort.Tensor {
  const plane = input.side * input.side;
  const data = new Float32Array(images.length * 3 * plane);
  const scale = [0, 1, 2].map((c) => input.scale / input.std[c]!);
  const offset = [0, 1, 2].map((c) => input.mean[c]! / input.std[c]!);
  images.forEach(({ pixels }, n) => {
    if (pixels.length !== 3 * plane) throw new Error(`concept input ${n} has ${pixels.length} bytes, expected ${3 * plane}`);
    const base = n * 3 * plane;
    if (input.layout === 'NCHW') {
      for (let c = 0; c < 3; c++) {
        const s = scale[c]!;
        const o = offset[c]!;
        const out = base + c * plane;
        for (let i = 0; i < plane; i++) data[out + i] = pixels[i * 3 + c]! * s - o;
      }
    } else {
      for (let i = 0; i < 3 * plane; i++) data[base + i] = pixels[i]! * scale[i % 3]! - offset[i % 3]!;
    }
  });
  const dims = input.layout === 'NCHW' ? [images.length, 3, input.side, input.side] : [images.length, input.side, input.side, 3];
  return new ort.Tensor('float32', data, dims);
}

function regressorRows(values: Float32Array, n: number, columns: readonly (typeof CONCEPT_COLUMNS)[number][]): ConceptScores[] {
  return Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map((c, k) => [c, values[i * columns.length + k]!])) as ConceptScores);
}

/** MONET's concept presence score (see ConceptPrompts) for each image embedding. */
function promptScores(values: Float32Array, n: number, prompts: ConceptPrompts): ConceptScores[] {
  const dim = values.length / n;
  return Array.from({ length: n }, (_, i) => {
    const embedding = values.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...embedding) || 1;
    const cosine = (v: readonly number[]) => {
      if (v.length !== dim) throw new Error(`concept prompt embedding has ${v.length} values, the encoder gives ${dim}`);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += embedding[d]! * v[d]!;
      return dot / norm;
    };
    return Object.fromEntries(
      prompts.concepts.map(({ column, target, reference }) => {
        // softmax over two = sigmoid of the difference, averaged over the prompt templates
        const perTemplate = target.map((t, k) => 1 / (1 + Math.exp(-(cosine(t) - cosine(reference[k]!)) / prompts.temperature)));
        return [column, perTemplate.reduce((a, b) => a + b, 0) / perTemplate.length];
      }),
    ) as ConceptScores;
  });
}
