import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyDistances } from '../../scripts/synth/copy-distances.ts';
import { Random } from '../../scripts/synth/random.ts';
import { readMilk10k } from '../../scripts/synth/read-milk10k.ts';
import { scaleCopies } from '../../scripts/synth/scale-copies.ts';
import type { SourceLesion } from '../../scripts/synth/source-lesion.ts';
import { synthesise } from '../../scripts/synth/synth.ts';
import { syntheticLesions } from '../../scripts/synth/synthetic-lesions.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';
import { REPO_CONFIG_FILE, repoConfig } from '../helpers/config.ts';
import { SAMPLE_DIR, sampleAvailable } from '../helpers/sample.ts';

/** Real sample lesions when the sample is here (the pHash figures mean most on real photographs), drawn ones otherwise. */
const sources = async (n: number): Promise<SourceLesion[]> => (sampleAvailable ? (await readMilk10k([SAMPLE_DIR])).slice(0, n) : syntheticLesions(n, new Random(1)));

const pixels = async (jpeg: Buffer) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });

describe(`milk synth --scale (${sampleAvailable ? 'real sample lesions' : 'drawn lesions: no MILK10k sample'})`, () => {
  it('copy 0 is the source; a further copy is a transformed image of the same size, the same for the same seed', async () => {
    const [lesion] = await sources(1);
    const [original, copy] = scaleCopies([lesion!], 2, 7);
    expect(original).toBe(lesion);
    expect(copy).toMatchObject({ lesionId: lesion!.lesionId, copy: 1, diagnosis: lesion!.diagnosis, ageApprox: lesion!.ageApprox });
    for (const [i, image] of copy!.images.entries()) {
      const [source, jittered] = await Promise.all([pixels(await lesion!.images[i]!.load()), pixels(await image.load())]);
      expect([jittered.info.width, jittered.info.height]).toEqual([source.info.width, source.info.height]);
      expect(jittered.data.equals(source.data)).toBe(false);
      expect(await image.load()).toEqual(await scaleCopies([lesion!], 2, 7)[1]!.images[i]!.load());
    }
  });

  it('the near-duplicate check does not take an image and its copy for one another', async () => {
    const maxDistance = repoConfig().config.qc.duplicates.maxDistance;
    const distances = await copyDistances(await sources(25), 2, 1);
    expect(distances).toHaveLength(50);
    expect(distances.filter((d) => d.distance > maxDistance).length).toBeGreaterThanOrEqual(45);
  });

  describe('a scale 2 synthesis', () => {
    let out: string;
    let key: SynthKeyRow[];
    beforeAll(async () => {
      out = await mkdtemp(path.join(os.tmpdir(), 'milk-synth-scale-'));
      const options = { config: REPO_CONFIG_FILE, out, seed: 3, lesions: 4, scale: 2 };
      await synthesise(sampleAvailable ? { ...options, fromMilk10k: SAMPLE_DIR } : options);
      key = parse(await readFile(path.join(out, 'synth-key.csv')), { columns: true }) as SynthKeyRow[];
    });
    afterAll(() => rm(out, { recursive: true, force: true }));

    it('writes both copies of every source image, and says which copy each file is', () => {
      expect(key).toHaveLength(4 * 2 * 2);
      const copies = new Map<string, string[]>();
      for (const k of key) copies.set(k.source_isic_id, [...(copies.get(k.source_isic_id) ?? []), String(k.copy)]);
      expect(copies.size).toBe(8);
      for (const found of copies.values()) expect(found.sort()).toEqual(['0', '1']);
    });

    it('gives every copy a patient of its own', () => {
      const patients = new Map<string, Set<string>>();
      for (const k of key) patients.set(`${k.source_lesion_id}#${k.copy}`, (patients.get(`${k.source_lesion_id}#${k.copy}`) ?? new Set()).add(`${k.centre}/${k.patient_id}`));
      expect(patients.size).toBe(8);
      expect([...patients.values()].every((p) => p.size === 1)).toBe(true);
      expect(new Set([...patients.values()].map((p) => [...p][0])).size).toBe(8);
    });
  });
});
