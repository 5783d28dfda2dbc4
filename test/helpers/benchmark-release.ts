import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { metadataCsv } from '../../activities/release/release-csvs.ts';
import { writeReleaseTables } from '../../activities/release/release-tables.ts';
import { SPLIT_FILES, type PublicImage, type PublicLesion } from '../../schemas/release.ts';
import { scores } from './release-fixture.ts';

/** Writes, with the release's own writers, the files of a release that describe its benchmark (all `lesions`): its tables and the test metadata. */
export async function writeBenchmarkRelease(releaseDir: string, lesions: readonly PublicLesion[], images: readonly PublicImage[]): Promise<void> {
  mkdirSync(path.join(releaseDir, 'tables'), { recursive: true });
  const concepts = new Map(images.map((im, i) => [im.isic_id, scores(i)]));
  await writeReleaseTables(path.join(releaseDir, 'milk10k.duckdb'), path.join(releaseDir, 'tables'), {
    lesions,
    benchmark: new Set(lesions.map((l) => l.lesion_id)),
    images,
    concepts,
    exclusions: [],
    duplicates: [],
  });
  writeFileSync(path.join(releaseDir, SPLIT_FILES.benchmark.metadata), metadataCsv({ lesions, images, concepts, attribution: 'test', license: 'CC-BY-NC-4.0' }));
}
