import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import type { ConceptModelManifest, ConceptPrompts } from '../../schemas/concept-model.ts';
import { CONCEPT_COLUMNS } from '../../schemas/release.ts';
import { onnxModel } from './tiny-onnx.ts';

const RED = [1, 0, 0];
const GREEN = [0, 1, 0];
const BLUE = [0, 0, 1];

/**
 * A MONET-style concept model folder (kind "encoder") small enough to reason about: the encoder's
 * embedding is the image's mean colour (RGB in [0,1]); erythema is "red rather than blue", the pen
 * concept "blue rather than red" (so the two always add up to 1), and every other concept is "green
 * rather than red" and "green rather than blue", one prompt template each.
 */
export async function writeColourEncoderModel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const model = onnxModel({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['pixels'], output: 'mean' },
      { op: 'Flatten', inputs: ['mean'], output: 'flat' },
      { op: 'MatMul', inputs: ['flat', 'projection'], output: 'embedding' },
    ],
    initializers: [{ name: 'projection', dims: [3, 3], values: [...RED, ...GREEN, ...BLUE] }],
    inputs: [{ name: 'pixels', shape: ['N', 3, CONCEPT_INPUT_SIDE, CONCEPT_INPUT_SIDE] }],
    outputs: [{ name: 'embedding', shape: ['N', 3] }],
  });
  const manifest: ConceptModelManifest = {
    name: 'colour-encoder',
    version: '0.0.1',
    kind: 'encoder',
    model: 'encoder.onnx',
    input: { name: 'pixels', side: CONCEPT_INPUT_SIDE, layout: 'NCHW', channels: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    output: { name: 'embedding' },
    prompts: 'prompts.json',
  };
  const prompts: ConceptPrompts = {
    temperature: Math.exp(-4.5944),
    concepts: CONCEPT_COLUMNS.map((column) =>
      column === 'MONET_erythema'
        ? { column, target: [RED], reference: [BLUE] }
        : column === 'MONET_skin_markings_pen_ink_purple_pen'
          ? { column, target: [BLUE], reference: [RED] }
          : { column, target: [GREEN, GREEN], reference: [RED, BLUE] },
    ),
  };
  await writeFile(path.join(dir, manifest.model), model);
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(dir, manifest.prompts), JSON.stringify(prompts));
  return dir;
}
