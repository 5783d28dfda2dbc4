import { readFile } from 'node:fs/promises';
import pMap from 'p-map';
import { ProcessedImage, type Exclusion, type SourceObject } from '../../schemas/records.ts';
import { measureImage } from '../qc/measure-image.ts';
import { exists, sha256, writeFileAtomic } from '../storage/files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { deidentifyImage, UndecodableImage } from './deidentify-image.ts';
import { exifFindings } from './exif-phi.ts';

/**
 * Bump when de-identification or QC measurement changes what they produce: cached results of another
 * version are ignored, so every image is processed again by the new code.
 */
export const PROCESSING_VERSION = 2;

export interface ProcessedBatch {
  images: ProcessedImage[];
  exclusions: Exclusion[];
  /** the images this call de-identified itself rather than finding them cached */
  computed: ProcessedImage[];
}

/**
 * De-identifies and measures a batch of staged source images, several in flight at once (sharp
 * decodes on libuv's thread pool, so the event loop stays free for heartbeats). Output JPEGs are
 * content-addressed, so a retried batch writes the same files; a source image (by sha256) processed
 * by a previous build with the same PROCESSING_VERSION is not decoded again.
 */
export async function processImages(
  objects: readonly SourceObject[],
  layout: StorageLayout,
  imagesInFlight: number,
  onImageDone: () => void,
): Promise<ProcessedBatch> {
  const exclusions: Exclusion[] = [];
  const computed: ProcessedImage[] = [];
  const results = await pMap(
    objects,
    async (object): Promise<ProcessedImage | undefined> => {
      try {
        const cached = await readCached(layout, object.sha256);
        if (cached) return { ...cached, centre: object.centre, key: object.key };
        const source = await readFile(layout.staged(object.sha256));
        const deid = await deidentifyImage(source);
        const measured = await measureImage(deid.jpeg);
        const deidSha256 = sha256(deid.jpeg);
        const target = layout.deidImage(deidSha256);
        if (!(await exists(target))) await writeFileAtomic(target, deid.jpeg);
        await writeFileAtomic(layout.conceptInput(deidSha256), measured.conceptInput);
        const processed: ProcessedImage = {
          centre: object.centre,
          key: object.key,
          sourceSha256: object.sha256,
          deidSha256,
          deidBytes: deid.jpeg.length,
          orientation: deid.orientation,
          deidPath: deid.path,
          removedSegments: deid.removedSegments,
          exif: exifFindings(source),
          qc: measured.scores,
        };
        await writeFileAtomic(layout.processedCache(object.sha256, PROCESSING_VERSION), JSON.stringify(processed));
        computed.push(processed);
        return processed;
      } catch (err) {
        if (!(err instanceof UndecodableImage)) throw err;
        exclusions.push({
          centre: object.centre, stage: 'deidentify', entity: 'image', reason: 'undecodable-image',
          detail: `${object.key}: ${err.message}`, key: object.key, sha256: object.sha256,
        });
        return undefined;
      } finally {
        onImageDone();
      }
    },
    { concurrency: imagesInFlight },
  );
  return { images: results.filter((r): r is ProcessedImage => r !== undefined), exclusions: exclusions.sort((a, b) => (a.key! < b.key! ? -1 : 1)), computed };
}

/** The earlier result for the same source bytes, if its outputs are still all there. */
async function readCached(layout: StorageLayout, sourceSha256: string): Promise<Omit<ProcessedImage, 'centre' | 'key'> | undefined> {
  let cached: ProcessedImage;
  try {
    cached = ProcessedImage.parse(JSON.parse(await readFile(layout.processedCache(sourceSha256, PROCESSING_VERSION), 'utf8')));
  } catch {
    return undefined;
  }
  const complete = (await exists(layout.deidImage(cached.deidSha256))) && (await exists(layout.conceptInput(cached.deidSha256)));
  return complete ? cached : undefined;
}
