import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJpegSegments } from '../../activities/storage/jpeg/jpeg-segments.ts';
import { runBuild, type BuildRun } from '../../scripts/run-build.ts';
import { buildFixture, type BuildFixture } from '../helpers/build-fixture.ts';
import { BuiltRelease, fileSha256 } from '../helpers/release-reader.ts';
import { SAMPLE_DIR, sampleAvailable, sampleFile } from '../helpers/sample.ts';

const LESIONS = 200;
type Row = Record<string, string>;
const official = (name: string) => parse(readFileSync(sampleFile(name)), { columns: true }) as Row[];

describe.skipIf(!sampleAvailable)(`end to end on ${LESIONS} real MILK10k lesions`, () => {
  let fixture: BuildFixture;
  let run: BuildRun;
  let release: BuiltRelease;

  beforeAll(async () => {
    fixture = await buildFixture('e2e', { seed: 42, lesions: LESIONS, fromMilk10k: SAMPLE_DIR });
    run = await runBuild(fixture.loaded, { embeddedWorker: true });
    release = new BuiltRelease(fixture.loaded.storageRoot);
  });

  it('releases or excludes, with a reason, every input lesion and image', () => {
    const ids = release.idMap();
    const released = new Set(release.metadata().map((r) => r.isic_id));
    const excludedKeys = new Map(release.exclusions().filter((e) => e.key).map((e) => [`${e.centre}/${e.key}`, e.reason]));
    const unaccounted = fixture.key.filter((k) => {
      const isic = ids.images[`${k.centre}/${fileSha256(path.join(fixture.dir, k.centre, k.file))}`];
      return !(isic && released.has(isic)) && !excludedKeys.get(`${k.centre}/${k.file}`);
    });
    expect(fixture.key).toHaveLength(2 * LESIONS);
    expect(unaccounted).toEqual([]);
    const lesionsIn = new Set(fixture.key.map((k) => k.source_lesion_id)).size;
    const lesionExclusions = release.exclusions().filter((e) => e.entity === 'lesion').length;
    expect(run.summary.release.lesions + lesionExclusions).toBe(lesionsIn);
  });

  it('gives every released lesion its real MILK10k ground truth and metadata', () => {
    const ids = release.idMap();
    const sourceOf = new Map<string, string>();
    for (const k of fixture.key) sourceOf.set(ids.lesions[`${k.centre}/${k.patient_id}/${k.local_lesion_id}`]!, k.source_lesion_id);
    const truth = new Map(official('MILK10k_Training_GroundTruth.csv').map((r) => [r.lesion_id, r]));
    const groundTruth = release.labels('groundTruth');
    expect(groundTruth).toHaveLength(run.summary.release.lesions);
    expect(release.benchmarkTruth('groundTruth')).toHaveLength(run.summary.split.benchmark);
    for (const row of groundTruth) {
      const source = truth.get(sourceOf.get(row.lesion_id!)!)!;
      expect({ ...row, lesion_id: source.lesion_id }).toEqual(source);
    }

    const sourceImage = new Map<string, string>();
    for (const k of fixture.key) {
      const isic = ids.images[`${k.centre}/${fileSha256(path.join(fixture.dir, k.centre, k.file))}`];
      if (isic) sourceImage.set(isic, k.source_isic_id);
    }
    const officialMetadata = new Map(official('MILK10k_Training_Metadata.csv').map((r) => [r.isic_id, r]));
    const lesionFields = ['image_type', 'attribution', 'copyright_license', 'image_manipulation', 'age_approx', 'sex', 'skin_tone_class', 'site'];
    for (const row of release.metadata()) {
      const source = officialMetadata.get(sourceImage.get(row.isic_id!)!)!;
      for (const field of lesionFields) expect(`${field}=${row[field]}`).toBe(`${field}=${source[field]}`);
    }
    const officialSupplement = new Map(official('MILK10k_Training_Supplement.csv').map((r) => [r.isic_id, r]));
    for (const row of release.labels('supplement')) {
      expect({ ...row, isic_id: '' }).toEqual({ ...officialSupplement.get(sourceImage.get(row.isic_id!)!)!, isic_id: '' });
    }
  });

  it('writes the official headers', () => {
    for (const name of ['MILK10k_Training_Metadata.csv', 'MILK10k_Training_GroundTruth.csv', 'MILK10k_Training_Supplement.csv']) {
      expect(release.headerOf(path.join(release.dir, name))).toBe(release.headerOf(sampleFile(name)));
    }
    // the benchmark's public metadata has the training metadata's header; its labels only the private side
    expect(release.headerOf(path.join(release.dir, 'MILK10k_Test_Metadata.csv'))).toBe(release.headerOf(sampleFile('MILK10k_Training_Metadata.csv')));
  });

  it('holds out a benchmark whose labels appear in no public file', () => {
    expect(run.summary.split.benchmark).toBeGreaterThan(0);
    const heldOut = new Set(release.benchmarkTruth('groundTruth').map((r) => r.lesion_id));
    expect(new Set(release.csv('MILK10k_Test_Metadata.csv').map((r) => r.lesion_id))).toEqual(heldOut);
    const publicLabels = [...release.csv('MILK10k_Training_GroundTruth.csv'), ...release.csv('MILK10k_Training_Supplement.csv')];
    const heldOutImages = new Set(release.metadata().filter((m) => m.split === 'benchmark').map((m) => m.isic_id));
    expect(heldOutImages.size).toBe(2 * heldOut.size);
    expect(publicLabels.filter((r) => heldOut.has(r.lesion_id ?? '') || heldOutImages.has(r.isic_id ?? ''))).toEqual([]);
  });

  it('leaves no APPn segment other than JFIF and the rights XMP, and no COM segment, in any released JPEG', () => {
    const jpegs = release.jpegs();
    expect(jpegs).toHaveLength(run.summary.release.images);
    for (const jpeg of jpegs) {
      const bytes = readFileSync(jpeg);
      const segments = readJpegSegments(bytes);
      const allowed = (s: (typeof segments)[number]) => (s.name === 'APP0' && s.identifier === 'JFIF') || (s.name === 'APP1' && s.identifier === 'http://ns.adobe.com/xap/1.0/');
      const metadata = segments.filter((s) => s.name === 'COM' || (/^APP\d+$/.test(s.name) && !allowed(s)));
      expect(metadata.map((s) => `${path.basename(jpeg)} ${s.name} ${s.identifier ?? ''}`)).toEqual([]);
      expect(segments.filter((s) => s.name === 'APP1')).toHaveLength(1);
      expect(bytes.toString('latin1')).toContain(`<plus:ImageSupplierImageID>${path.basename(jpeg, '.jpg')}<`);
    }
  });

  it('gives the same manifest when the same inputs are built again', async () => {
    const manifest = release.manifest();
    // Forget what the release was built from, so the rebuild writes every file again.
    rmSync(path.join(fixture.loaded.storageRoot, 'private', 'release-state.json'));
    const second = await runBuild(fixture.reload(), { embeddedWorker: true });
    expect(second.summary.release.reused).toBe(false);
    expect(release.manifest()).toBe(manifest);
    expect(second.summary.release.manifestSha256).toBe(run.summary.release.manifestSha256);
  });
});
