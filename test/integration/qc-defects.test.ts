import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import { runBuild, type BuildRun } from '../../scripts/run-build.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { CHROMIUM, CHROMIUM_MISSING, renderedDom } from '../helpers/chromium.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';
import { SAMPLE_DIR, sampleAvailable } from '../helpers/sample.ts';

const DEFECTS: [string, (s: Sharp) => Sharp][] = [
  ['blurry', (s) => s.blur(6)],
  ['too-dark', (s) => s.linear(0.15, 0)],
  ['too-light', (s) => s.linear(1, 215)],
  ['grayscale', (s) => s.greyscale().toColourspace('srgb')],
  ['too-small', (s) => s.resize(96, 72)],
];

/**
 * Seeds defects made from real sample images into centre drops, builds them on the real Temporal
 * server, and checks each is caught by its check and shown in the QC report rendered by Chromium.
 */
describe.skipIf(!sampleAvailable)('QC on a build with seeded defects', () => {
  let fixture: BuildFixture;
  let run: BuildRun;
  let mislabelledLesion: string;

  beforeAll(async () => {
    fixture = await buildFixture('qc', { seed: 5, lesions: 30, fromMilk10k: SAMPLE_DIR });
    const file = (i: number) => path.join(fixture.dir, fixture.key[i]!.centre, fixture.key[i]!.file);
    // Images 0..4 get one defect each.
    for (const [i, [, defect]] of DEFECTS.entries()) writeFileSync(file(i), await defect(sharp(readFileSync(file(i)))).jpeg({ quality: 90 }).toBuffer());
    // An exact duplicate in another centre: the last image's pixels replace an image of the first centre's last lesion.
    const last = fixture.key.length - 1;
    const firstCentreLast = fixture.key.findLastIndex((k) => k.centre === fixture.key[0]!.centre);
    expect(fixture.key[last]!.centre).not.toBe(fixture.key[0]!.centre);
    writeFileSync(file(firstCentreLast), readFileSync(file(last)));
    // A clinical close-up labelled dermoscopic: a lesion whose clinical image looks clearly clinical
    // gets that image in place of its dermoscopic one.
    const candidates = await Promise.all(
      fixture.key.map(async (k, i) => ({ k, i, modality: i >= 10 && i < last - 2 && k.image_type === 'clinical: close-up' ? (await measureImage(readFileSync(file(i)))).scores.modality : 1 })),
    );
    const clinical = candidates.sort((a, b) => a.modality - b.modality)[0]!;
    const dermoscopic = fixture.key.findIndex((k) => k.source_lesion_id === clinical.k.source_lesion_id && k.image_type === 'dermoscopic');
    writeFileSync(file(dermoscopic), readFileSync(file(clinical.i)));
    mislabelledLesion = clinical.k.source_lesion_id;
    run = await runBuild(fixture.reload(), { embeddedWorker: true });
  });

  it('excludes each seeded image defect with the name of its check', () => {
    const exclusions = new BuiltRelease(fixture.loaded.storageRoot).exclusions();
    for (const [i, [check]] of DEFECTS.entries()) {
      expect(exclusions.find((e) => e.key === fixture.key[i]!.file && e.entity === 'image')?.reason, `${check} on ${fixture.key[i]!.file}`).toBe(check);
    }
  });

  it('finds the exact duplicate across centres and keeps both for review', () => {
    expect(run.summary.assemble.crossLesionDuplicateGroups).toBeGreaterThanOrEqual(1);
  });

  it('warns about the clinical image labelled dermoscopic, and keeps the lesion', async () => {
    expect(run.summary.assemble.warned).toBeGreaterThanOrEqual(1);
    const ids = new BuiltRelease(fixture.loaded.storageRoot).idMap();
    const k = fixture.key.find((x) => x.source_lesion_id === mislabelledLesion)!;
    const lesionId = ids.lesions[`${k.centre}/${k.patient_id}/${k.local_lesion_id}`]!;
    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const rows = (
      await connection.runAndReadAll(`SELECT image_type, qc_warnings FROM read_parquet('${path.join(release.dir, 'tables', 'images.parquet')}') WHERE lesion_id = '${lesionId}' ORDER BY image_type`)
    ).getRowObjects();
    connection.closeSync();
    instance.closeSync();
    expect(rows).toEqual([
      { image_type: 'clinical: close-up', qc_warnings: '' },
      { image_type: 'dermoscopic', qc_warnings: 'modality-mismatch' },
    ]);
  });

  it.skipIf(!CHROMIUM)(`renders a QC report in Chromium that shows every flagged image and the duplicate groups${CHROMIUM_MISSING}`, async () => {
    const dom = await renderedDom(run.summary.qcReport.path);
    const loaded = Number(/data-images-loaded="(\d+)"/.exec(dom)?.[1]);
    const total = Number(/data-images="(\d+)"/.exec(dom)?.[1]);
    expect(total).toBeGreaterThanOrEqual(DEFECTS.length + 2);
    expect(loaded).toBe(total);
    for (const [check] of DEFECTS) expect(dom).toContain(`id="check-${check}"`);
    expect(dom).toMatch(/group \d+: exact, distance ≤ 0, aligned correlation ≥ 1, across lesions: review/);
    // images are named by hash and public id, never by a centre's filename
    expect(fixture.key.filter((k) => dom.includes(k.file))).toEqual([]);
  });
});
