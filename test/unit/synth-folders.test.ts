import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMilk10k } from '../../scripts/synth/read-milk10k.ts';
import { synthesise } from '../../scripts/synth/synth.ts';
import type { SynthKeyRow } from '../../scripts/synth/write-centre-drop.ts';
import { REPO_CONFIG_FILE } from '../helpers/config.ts';

/** Writes a small folder in the official MILK10k training layout: two images per lesion, tiny JPEGs. */
async function writeLayout(dir: string, lesionIds: readonly string[]): Promise<void> {
  const metadata = ['lesion_id,isic_id,image_type,image_manipulation,age_approx,sex,skin_tone_class,site'];
  const supplement = ['isic_id,diagnosis_full,diagnosis_confirm_type,invasion_thickness_interval'];
  for (const lesionId of lesionIds) {
    await mkdir(path.join(dir, 'MILK10k_Training_Input', lesionId), { recursive: true });
    for (const [i, imageType] of ['clinical: close-up', 'dermoscopic'].entries()) {
      const isicId = `ISIC_${lesionId.slice(3)}${i}`;
      metadata.push(`${lesionId},${isicId},${imageType},instrument only,50,female,3,head_neck_face`);
      supplement.push(`${isicId},Nevus,histopathology,`);
      const jpeg = await sharp({ create: { width: 60, height: 45, channels: 3, background: { r: 200, g: 150 - i * 40, b: 120 } } }).jpeg().toBuffer();
      await writeFile(path.join(dir, 'MILK10k_Training_Input', lesionId, `${isicId}.jpg`), jpeg);
    }
  }
  await writeFile(path.join(dir, 'MILK10k_Training_Metadata.csv'), `${metadata.join('\n')}\n`);
  await writeFile(path.join(dir, 'MILK10k_Training_Supplement.csv'), `${supplement.join('\n')}\n`);
}

describe('milk synth over several MILK10k folders', () => {
  let dir: string;
  let sample: string;
  let extra: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'milk-synth-folders-'));
    [sample, extra] = [path.join(dir, 'sample'), path.join(dir, 'extra')];
    await writeLayout(sample, ['IL_0000001', 'IL_0000003']);
    await writeLayout(extra, ['IL_0000002', 'IL_0000004', 'IL_0000005']);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the folders as one set of lesions, each with its own images', async () => {
    const lesions = await readMilk10k([sample, extra]);
    expect(lesions.map((l) => l.lesionId)).toEqual(['IL_0000001', 'IL_0000002', 'IL_0000003', 'IL_0000004', 'IL_0000005']);
    expect(lesions.every((l) => l.images.length === 2)).toBe(true);
    expect((await lesions[1]!.images[0]!.load()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('rejects a lesion id that two folders hold, naming both folders', async () => {
    await writeLayout(path.join(dir, 'again'), ['IL_0000003']);
    await expect(readMilk10k([sample, extra, path.join(dir, 'again')])).rejects.toThrow(`lesion IL_0000003 is in both ${sample} and ${path.join(dir, 'again')}`);
  });

  it('writes every image of every folder to the drops, once', async () => {
    const out = path.join(dir, 'drops');
    const result = await synthesise({ config: REPO_CONFIG_FILE, out, seed: 4, fromMilk10k: [sample, extra] });
    expect(result).toMatchObject({ lesions: 5, images: 10 });
    const key = parse(await readFile(path.join(out, 'synth-key.csv')), { columns: true }) as SynthKeyRow[];
    expect(key.map((k) => k.source_isic_id).sort()).toEqual((await readMilk10k([sample, extra])).flatMap((l) => l.images.map((i) => i.isicId)).sort());
  });
});
