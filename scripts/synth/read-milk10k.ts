import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { SourceLesion } from './source-lesion.ts';

type Row = Record<string, string>;
const readCsv = async (file: string): Promise<Row[]> => parse(await readFile(file), { columns: true, skip_empty_lines: true }) as Row[];

/**
 * Reads one or more folders in the official MILK10k training layout (e.g. the sample and the extra
 * lesions) as one set, sorted by lesion id. A lesion id in two folders is an error: the folders are
 * parts of one dataset, and merging the two would make one lesion of four images.
 */
export async function readMilk10k(dirs: readonly string[]): Promise<SourceLesion[]> {
  const folderOf = new Map<string, string>();
  const lesions: SourceLesion[] = [];
  for (const dir of dirs) {
    for (const lesion of await readMilk10kFolder(dir)) {
      const other = folderOf.get(lesion.lesionId);
      if (other !== undefined) throw new Error(`lesion ${lesion.lesionId} is in both ${other} and ${dir}`);
      folderOf.set(lesion.lesionId, dir);
      lesions.push(lesion);
    }
  }
  return lesions.sort((a, b) => (a.lesionId < b.lesionId ? -1 : 1));
}

/** One folder of the official layout (Input folder, Metadata and Supplement CSVs). */
async function readMilk10kFolder(dir: string): Promise<SourceLesion[]> {
  const metadata = await readCsv(path.join(dir, 'MILK10k_Training_Metadata.csv'));
  const supplement = new Map((await readCsv(path.join(dir, 'MILK10k_Training_Supplement.csv'))).map((r) => [r.isic_id!, r]));
  const lesions = new Map<string, SourceLesion>();
  for (const row of metadata) {
    const extra = supplement.get(row.isic_id!);
    if (!extra) throw new Error(`${dir}: ${row.isic_id} is in the metadata but not in the supplement`);
    const lesion =
      lesions.get(row.lesion_id!) ??
      ({
        lesionId: row.lesion_id!,
        ageApprox: row.age_approx ? Number(row.age_approx) : undefined,
        sex: row.sex || undefined,
        skinTone: row.skin_tone_class ? Number(row.skin_tone_class) : undefined,
        site: row.site || undefined,
        diagnosis: extra.diagnosis_full!,
        confirmType: extra.diagnosis_confirm_type!,
        invasionThickness: extra.invasion_thickness_interval || undefined,
        images: [],
      } satisfies SourceLesion);
    lesion.images.push({
      isicId: row.isic_id!,
      imageType: row.image_type as 'clinical: close-up' | 'dermoscopic',
      manipulation: row.image_manipulation!,
      load: () => readFile(path.join(dir, 'MILK10k_Training_Input', row.lesion_id!, `${row.isic_id}.jpg`)),
    });
    lesions.set(row.lesion_id!, lesion);
  }
  return [...lesions.values()];
}
