import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { SourceLesion } from './source-lesion.ts';

type Row = Record<string, string>;
const readCsv = async (file: string): Promise<Row[]> => parse(await readFile(file), { columns: true, skip_empty_lines: true }) as Row[];

/** Reads the official MILK10k training layout (Input folder, Metadata and Supplement CSVs). */
export async function readMilk10k(dir: string): Promise<SourceLesion[]> {
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
  return [...lesions.values()].sort((a, b) => (a.lesionId < b.lesionId ? -1 : 1));
}
