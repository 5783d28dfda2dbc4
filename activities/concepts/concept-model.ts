import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { CONCEPT_COLUMNS, type ConceptScores } from '../../schemas/release.ts';
import { sha256 } from '../storage/files.ts';

const SIDE = 64;

/**
 * The concept model (see model/README.md): an ONNX graph taking `image` [N,3,64,64] RGB in [0,1]
 * and giving `concepts` [N,7] in [0,1], in CONCEPT_COLUMNS order. One session per worker process.
 */
export class ConceptModel {
  private constructor(private readonly session: ort.InferenceSession, readonly version: string) {}

  static async load(file: string): Promise<ConceptModel> {
    const bytes = await readFile(file);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    return new ConceptModel(session, `concepts.onnx@${sha256(bytes).slice(0, 12)}`);
  }

  /** Scores a batch of JPEGs in one inference call. */
  async score(jpegs: readonly Uint8Array[]): Promise<ConceptScores[]> {
    if (jpegs.length === 0) return [];
    const pixels = new Float32Array(jpegs.length * 3 * SIDE * SIDE);
    await Promise.all(jpegs.map(async (jpeg, n) => pixels.set(await toChw(jpeg), n * 3 * SIDE * SIDE)));
    const input = new ort.Tensor('float32', pixels, [jpegs.length, 3, SIDE, SIDE]);
    const { concepts } = await this.session.run({ image: input });
    const values = concepts!.data as Float32Array;
    return jpegs.map((_, n) =>
      Object.fromEntries(CONCEPT_COLUMNS.map((column, c) => [column, Math.round(values[n * CONCEPT_COLUMNS.length + c]! * 1e6) / 1e6])) as ConceptScores,
    );
  }
}

async function toChw(jpeg: Uint8Array): Promise<Float32Array> {
  const hwc = await sharp(jpeg).resize(SIDE, SIDE, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const chw = new Float32Array(3 * SIDE * SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) for (let c = 0; c < 3; c++) chw[c * SIDE * SIDE + i] = hwc[i * 3 + c]! / 255;
  return chw;
}
