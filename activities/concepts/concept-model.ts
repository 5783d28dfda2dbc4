import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import { CONCEPT_COLUMNS, type ConceptScores } from '../../schemas/release.ts';
import { sha256 } from '../storage/files.ts';

const SIDE = CONCEPT_INPUT_SIDE;

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

  /** Scores a batch in one inference call; each input is CONCEPT_INPUT_SIDE² RGB pixels, interleaved (as QC derived them). */
  async score(inputs: readonly Uint8Array[]): Promise<ConceptScores[]> {
    if (inputs.length === 0) return [];
    const plane = SIDE * SIDE;
    const pixels = new Float32Array(inputs.length * 3 * plane);
    inputs.forEach((hwc, n) => {
      if (hwc.length !== 3 * plane) throw new Error(`concept input ${n} has ${hwc.length} bytes, expected ${3 * plane}`);
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) pixels[n * 3 * plane + c * plane + i] = hwc[i * 3 + c]! / 255;
    });
    const input = new ort.Tensor('float32', pixels, [inputs.length, 3, SIDE, SIDE]);
    const { concepts } = await this.session.run({ image: input });
    const values = concepts!.data as Float32Array;
    return inputs.map((_, n) =>
      Object.fromEntries(CONCEPT_COLUMNS.map((column, c) => [column, Math.round(values[n * CONCEPT_COLUMNS.length + c]! * 1e6) / 1e6])) as ConceptScores,
    );
  }
}
