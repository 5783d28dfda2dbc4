import type { ImageFormat } from '../../schemas/image-format.ts';
import type { ProcessedImage } from '../../schemas/records.ts';
import { measureImage } from './measure-image.ts';
import { getRequired } from '../storage/blob-store.ts';
import { sha256 } from '../storage/files.ts';
import type { Storage } from '../storage/storage.ts';
import { deidentifyImage } from './deidentify-image.ts';
import { exifFindings } from './exif-phi.ts';

/** What processing one staged source image gives, before it is tied to a centre's key. */
export type ProcessedSource = Omit<ProcessedImage, 'centre' | 'key'>;

/**
 * De-identifies one staged source image, measures it for QC, and writes its de-identified JPEG and
 * concept input (content-addressed, so a retry writes the same files). Throws UndecodableImage for
 * bytes no decoder accepts, UnsupportedFormat for content not of the allowed formats.
 */
export async function processSource(sourceSha256: string, { store, layout }: Storage, formats: readonly ImageFormat[]): Promise<ProcessedSource> {
  const source = await getRequired(store, layout.staged(sourceSha256));
  const deid = await deidentifyImage(source, formats);
  const measured = await measureImage(deid.jpeg);
  const deidSha256 = sha256(deid.jpeg);
  const target = layout.deidImage(deidSha256);
  if (!(await store.exists(target))) await store.put(target, deid.jpeg);
  await store.put(layout.conceptInput(deidSha256), measured.conceptInput);
  return {
    sourceSha256,
    deidSha256,
    deidBytes: deid.jpeg.length,
    orientation: deid.orientation,
    deidPath: deid.path,
    format: deid.format,
    removedSegments: deid.removedSegments,
    exif: exifFindings(source),
    qc: measured.scores,
    similarityThumbnail: measured.similarityThumbnail,
  };
}
