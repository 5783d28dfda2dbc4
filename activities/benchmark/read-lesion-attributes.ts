import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LesionAttributes } from '../../schemas/benchmark-score.ts';
import { SPLIT_FILES } from '../../schemas/release.ts';

/** The release files that describe the benchmark lesions (without their labels). */
export const ATTRIBUTE_FILES = { lesions: path.join('tables', 'benchmark_lesions.parquet'), images: SPLIT_FILES.benchmark.metadata } as const;

/**
 * The attributes subgroups are formed by, for every benchmark lesion of a release: centre, skin
 * tone, sex and age from `tables/benchmark_lesions.parquet` (the private ground truth and supplement
 * hold labels only), and the lesion's image types from `MILK10k_Test_Metadata.csv`. Null when the
 * release folder lacks these files.
 */
export async function readLesionAttributes(releaseDir: string): Promise<LesionAttributes[] | null> {
  const files = { lesions: path.join(releaseDir, ATTRIBUTE_FILES.lesions), images: path.join(releaseDir, ATTRIBUTE_FILES.images) };
  if (!existsSync(files.lesions) || !existsSync(files.images)) return null;
  const quoted = (file: string) => `'${file.replaceAll("'", "''")}'`;
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const result = await connection.runAndReadAll(`
      SELECT l.lesion_id, l.centre, l.skin_tone_class, l.sex, l.age_approx,
             coalesce(list_sort(list_distinct(list(i.image_type) FILTER (WHERE i.image_type IS NOT NULL))), []) AS image_types
      FROM read_parquet(${quoted(files.lesions)}) l
      LEFT JOIN read_csv(${quoted(files.images)}, header = true, all_varchar = true) i USING (lesion_id)
      GROUP BY ALL ORDER BY l.lesion_id`);
    return result.getRowObjectsJson().map((row) => LesionAttributes.parse(row));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
