import { existsSync } from 'node:fs';
import { appendFile, cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConceptModel, type ConceptImage } from '../../activities/concepts/concept-model.ts';
import { deidentifyImage } from '../../activities/deidentify/deidentify-image.ts';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { CONCEPT_INPUT_SIDE } from '../../schemas/concept-input.ts';
import { CONCEPT_COLUMNS } from '../../schemas/release.ts';
import { writeColourEncoderModel } from '../helpers/concept-model-folders.ts';
import { sampleAvailable, sampleImages, sampleSkipReason } from '../helpers/sample.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../activities/concepts/model/monet-distilled');
const PLANE = CONCEPT_INPUT_SIDE * CONCEPT_INPUT_SIDE;
const flat = (rgb: [number, number, number]) => Uint8Array.from({ length: 3 * PLANE }, (_, i) => rgb[i % 3]!);
const tmp = () => mkdtemp(path.join(os.tmpdir(), 'milk-concept-model-'));

describe('a MONET-style encoder model (kind encoder)', () => {
  it('scores cosine similarity with the shipped prompt embeddings, normalised as MONET does', async () => {
    const model = await ConceptModel.load(await writeColourEncoderModel(await tmp()));
    const images: ConceptImage[] = [flat([255, 0, 0]), flat([0, 0, 255]), flat([128, 128, 128]), flat([40, 200, 90])].map((pixels) => ({ pixels, imageType: 'dermoscopic' }));
    const [red, blue, grey, green] = await model.score(images);
    // red: cos 1 with the erythema target, 0 with its reference, so softmax([1, 0] / temperature) ≈ 1
    expect(red!.MONET_erythema).toBeGreaterThan(0.99);
    expect(red!.MONET_skin_markings_pen_ink_purple_pen).toBeLessThan(0.01);
    expect(blue!.MONET_erythema).toBeLessThan(0.01);
    // grey is as close to every prompt: exactly one half
    for (const c of CONCEPT_COLUMNS) expect(grey![c]).toBeCloseTo(0.5, 6);
    // green beats red and blue on both templates of the other concepts
    expect(green!.MONET_hair).toBeGreaterThan(0.99);
    for (const s of [red!, blue!, grey!, green!]) expect(s.MONET_erythema + s.MONET_skin_markings_pen_ink_purple_pen).toBeCloseTo(1, 5);
  });

  it('rejects prompt embeddings whose size is not the encoder\'s, naming both', async () => {
    const dir = await writeColourEncoderModel(await tmp());
    const prompts = JSON.parse(await readFile(path.join(dir, 'prompts.json'), 'utf8'));
    prompts.concepts[1].target = [[0, 1, 0, 0], [0, 1, 0, 0]];
    await writeFile(path.join(dir, 'prompts.json'), JSON.stringify(prompts));
    const model = await ConceptModel.load(dir);
    await expect(model.score([{ pixels: flat([1, 2, 3]), imageType: 'dermoscopic' }])).rejects.toThrow(/4 values, the encoder gives 3/);
  });
});

describe('a concept model folder', () => {
  it('is versioned by its content: any changed file gives a new version, so every image is rescored', async () => {
    const dir = await writeColourEncoderModel(await tmp());
    const before = (await ConceptModel.load(dir)).version;
    expect(before).toMatch(/^colour-encoder@[0-9a-f]{12}$/);
    expect((await ConceptModel.load(dir)).version).toBe(before);
    await appendFile(path.join(dir, 'prompts.json'), ' ');
    expect((await ConceptModel.load(dir)).version).not.toBe(before);
  });

  it('fails with the folder and the reason when it is not a model folder or its manifest is wrong', async () => {
    const empty = await tmp();
    await expect(ConceptModel.load(empty)).rejects.toThrow(new RegExp(`concept model ${empty} has no manifest.json`));
    const dir = await writeColourEncoderModel(await tmp());
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, input: { ...manifest.input, side: 224 } }));
    await expect(ConceptModel.load(dir)).rejects.toThrow(/wants 224x224 input; QC makes 64x64/);
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, kind: 'classifier' }));
    await expect(ConceptModel.load(dir)).rejects.toThrow(/manifest\.json' is not a valid concept model file: kind/);
  });

  const cudaProvider = existsSync(path.resolve(import.meta.dirname, '../../node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'));
  it.skipIf(cudaProvider)('asked for CUDA where onnxruntime cannot load it, says so and names the setting', async () => {
    const dir = await writeColourEncoderModel(await tmp());
    await expect(ConceptModel.load(dir, 'cuda')).rejects.toThrow(/concepts\.device is cuda, but onnxruntime-node could not use its CUDA provider/);
  });
});

describe.skipIf(!sampleAvailable)(`the bundled distilled model (kind regressor)${sampleAvailable ? '' : ` (${sampleSkipReason})`}`, () => {
  it('scores real concept inputs per image, in [0, 1], using the image type', async () => {
    const model = await ConceptModel.load(BUNDLED);
    expect(model.manifest.kind).toBe('regressor');
    expect(model.disclosure.agreement?.all?.rho.MONET_hair).toBeTypeOf('number');
    const inputs = await Promise.all(sampleImages(8).map(async (file) => (await measureImage((await deidentifyImage(await readFile(file))).jpeg)).conceptInput));
    const images = inputs.map((pixels, i): ConceptImage => ({ pixels, imageType: i % 2 ? 'dermoscopic' : 'clinical: close-up' }));
    const batch = await model.score(images);
    for (const row of batch) for (const c of CONCEPT_COLUMNS) expect(row[c]).toBeGreaterThanOrEqual(0), expect(row[c]).toBeLessThanOrEqual(1);
    // a row does not depend on the rest of the batch
    for (const [i, image] of images.entries()) expect((await model.score([image]))[0]).toEqual(batch[i]);
    // the image type is an input: the same pixels read as the other type score differently
    const flipped = await model.score(images.map((im) => ({ ...im, imageType: im.imageType === 'dermoscopic' ? 'clinical: close-up' : 'dermoscopic' })));
    expect(flipped).not.toEqual(batch);
  });

  it('keeps its version when copied elsewhere (the hash is of the content, not the path)', async () => {
    const copy = path.join(await tmp(), 'model');
    await cp(BUNDLED, copy, { recursive: true });
    expect((await ConceptModel.load(copy)).version).toBe((await ConceptModel.load(BUNDLED)).version);
  });
});
