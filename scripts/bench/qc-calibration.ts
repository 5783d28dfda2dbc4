import { readFile } from 'node:fs/promises';
import pMap from 'p-map';
import sharp, { type Sharp } from 'sharp';
import { datasetSizes, qcOutcome } from '../../schemas/qc-checks.ts';
import { measureImage } from '../../activities/deidentify/measure-image.ts';
import type { QcConfig } from '../../schemas/config.ts';

/** The defects the default thresholds must still catch, each made from a real image, and the check meant to catch it. */
export const SEEDED_DEFECTS: { name: string; check: string; apply: (s: Sharp) => Sharp }[] = [
  { name: 'blur sigma 6', check: 'blurry', apply: (s) => s.blur(6) },
  { name: 'blur sigma 4', check: 'blurry', apply: (s) => s.blur(4) },
  { name: 'blur sigma 2', check: 'blurry-fine-detail', apply: (s) => s.blur(2) },
  { name: 'darkened x0.15', check: 'too-dark', apply: (s) => s.linear(0.15, 0) },
  { name: 'over-exposed +215', check: 'too-light', apply: (s) => s.linear(1, 215) },
  { name: 'grayscale as RGB', check: 'grayscale', apply: (s) => s.greyscale().toColourspace('srgb') },
  { name: 'shrunk to 96x72', check: 'too-small', apply: (s) => s.resize(96, 72) },
  { name: 'flat grey', check: 'low-information', apply: (s) => s.linear(0, 128) },
];

/** Per seeded defect: how many of the copies the default QC policy catches with the intended check. */
export async function seededDefectCatchRates(files: readonly string[], qc: QcConfig): Promise<{ name: string; check: string; caught: number; of: number }[]> {
  return pMap(
    SEEDED_DEFECTS,
    async (defect) => {
      const caught = await pMap(
        files,
        async (file) => {
          const copy = await defect.apply(sharp(await readFile(file))).jpeg({ quality: 90 }).toBuffer();
          const { scores } = await measureImage(copy);
          return qcOutcome(scores, 'dermoscopic', qc.checks, datasetSizes([{ width: 600, height: 450 }])).exclude.includes(defect.check);
        },
        { concurrency: 4 },
      );
      return { name: defect.name, check: defect.check, caught: caught.filter(Boolean).length, of: files.length };
    },
    { concurrency: 1 },
  );
}
