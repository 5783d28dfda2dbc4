import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { runBuild } from '../../scripts/run-build.ts';
import { ReleaseInfo } from '../../schemas/catalog.ts';
import { CONCEPT_COLUMNS } from '../../schemas/release.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { writeColourEncoderModel } from '../helpers/concept-model-folders.ts';
import { BuiltRelease } from '../helpers/release-reader.ts';

describe('the concept model is a folder named in temporal.yml', () => {
  it('a MONET-style encoder scores a build and the release names it; switching back to the bundled model rescores every image in one patch version', async () => {
    const fixture = await buildFixture('concept-model', { seed: 31, lesions: 6 });
    const setModel = (model: string | undefined) => {
      const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
      raw.concepts = { ...raw.concepts, model };
      if (model === undefined) delete raw.concepts.model;
      writeFileSync(fixture.loaded.file, toYaml(raw));
      return fixture.reload();
    };
    const release = new BuiltRelease(fixture.loaded.storageRoot);
    const info = () => ReleaseInfo.parse(JSON.parse(readFileSync(path.join(release.dir, 'RELEASE.json'), 'utf8')));
    const croissant = () => JSON.parse(readFileSync(path.join(release.dir, 'croissant.json'), 'utf8'));
    const datasheet = () => readFileSync(path.join(release.dir, 'DATASHEET.html'), 'utf8');
    const scores = () => new Map(release.metadata().map((row) => [row.isic_id!, CONCEPT_COLUMNS.map((c) => Number(row[c]))]));

    const encoder = await writeColourEncoderModel(path.join(fixture.dir, 'colour-encoder'));
    const first = (await runBuild(setModel(encoder), { embeddedWorker: true })).summary.release;
    expect(first.conceptModel).toMatch(/^colour-encoder@[0-9a-f]{12}$/);
    expect(info().conceptModelCard).toMatchObject({ name: 'colour-encoder', version: first.conceptModel, kind: 'encoder' });
    expect(croissant()['rai:machineAnnotationTools'][0]).toContain(first.conceptModel);
    expect(datasheet()).toContain(first.conceptModel);
    // the encoder's erythema ("red, not blue") and pen ("blue, not red") scores are MONET softmaxes of one pair: they add up to 1
    const byEncoder = scores();
    expect(byEncoder.size).toBe(12);
    const [erythema, pen] = [CONCEPT_COLUMNS.indexOf('MONET_erythema'), CONCEPT_COLUMNS.indexOf('MONET_skin_markings_pen_ink_purple_pen')];
    for (const row of byEncoder.values()) expect(row[erythema]! + row[pen]!).toBeCloseTo(1, 5);

    const second = (await runBuild(setModel(undefined), { embeddedWorker: true })).summary.release;
    expect(second.conceptModel).toMatch(/^milk10k-monet-distilled@[0-9a-f]{12}$/);
    expect(second).toMatchObject({ newVersion: true, previousVersion: first.version });
    expect(info()).toMatchObject({ bump: 'patch', conceptModel: second.conceptModel, conceptModelCard: { kind: 'regressor', version: second.conceptModel } });
    expect(info().conceptModelCard?.agreement?.dermoscopic?.rho.MONET_hair).toBeTypeOf('number');
    expect(croissant()['rai:machineAnnotationTools'][0]).toMatch(/Spearman rho with the official MONET scores/);
    const byBundled = scores();
    expect([...byBundled.keys()].sort()).toEqual([...byEncoder.keys()].sort());
    for (const [id, row] of byBundled) expect(row, id).not.toEqual(byEncoder.get(id));
  });
});
