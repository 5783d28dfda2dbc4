import type { ImageFormat } from '../../schemas/image-format.ts';
import type { ProcessedImage } from '../../schemas/records.ts';
import { measureImage } from './measure-image.ts';
import { getRequired } from '../storage/blob-store.ts';
import { sha256 } from '../storage/files.ts';
import type { Storage } from '../storage/storage.ts';
import { deidentifyImage, ImageCrash, UndecodableImage, UnsupportedFormat } from './deidentify-image.ts';
import { exifFindings } from './exif-phi.ts';

/** What processing one staged source image gives, before it is tied to a centre's key. */
export type ProcessedSource = Omit<ProcessedImage, 'centre' | 'key'>;

/**
 * De-identifies one staged source image, measures it for QC, and writes its de-identified JPEG and
 * concept input (content-addressed, so a retry writes the same files). Throws UndecodableImage for
 * bytes no decoder accepts, UnsupportedFormat for content not of the allowed formats, ImageCrash
 * when anything else fails while working on the bytes; a failure of the store is thrown as it is.
 */
export async function processSource(sourceSha256: string, { store, layout }: Storage, formats: readonly ImageFormat[]): Promise<ProcessedSource> {
  const source = await getRequired(store, layout.staged(sourceSha256));
  const { deid, measured, exif } = await ownedByImage(async () => {
    const deid = await deidentifyImage(source, formats);
    return { deid, measured: await measureImage(deid.jpeg), exif: exifFindings(source) };
  });
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
    exif,
    qc: measured.scores,
    similarityThumbnail: measured.similarityThumbnail,
  };
}

/** Runs work on one image's bytes: what it throws belongs to the image (ImageCrash), unless it already says why the image is refused. */
async function ownedByImage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UndecodableImage || err instanceof UnsupportedFormat) throw err;
    throw new ImageCrash(err instanceof Error ? err.message : String(err));
  }
}
