import { readFile } from 'node:fs/promises';
import pMap from 'p-map';
import type { Exclusion, ProcessedImage, SourceObject } from '../../schemas/records.ts';
import { measureImage } from '../qc/measure-image.ts';
import { exists, sha256, writeFileAtomic } from '../storage/files.ts';
import type { StorageLayout } from '../storage/layout.ts';
import { deidentifyImage, UndecodableImage } from './deidentify-image.ts';
import { exifFindings } from './exif-phi.ts';

export interface ProcessedBatch {
  images: ProcessedImage[];
  exclusions: Exclusion[];
}

/**
 * De-identifies and measures a batch of staged source images, several in flight at once (sharp
 * decodes on libuv's thread pool, so the event loop stays free for heartbeats). Output JPEGs are
 * content-addressed, so a retried batch writes the same files.
 */
export async function processImages(
  objects: readonly SourceObject[],
  layout: StorageLayout,
  imagesInFlight: number,
  onImageDone: () => void,
): Promise<ProcessedBatch> {
  const exclusions: Exclusion[] = [];
  const results = await pMap(
    objects,
    async (object): Promise<ProcessedImage | undefined> => {
      try {
        const source = await readFile(layout.staged(object.sha256));
        const deid = await deidentifyImage(source);
        const measured = await measureImage(deid.jpeg);
        const deidSha256 = sha256(deid.jpeg);
        const target = layout.deidImage(deidSha256);
        if (!(await exists(target))) await writeFileAtomic(target, deid.jpeg);
        await writeFileAtomic(layout.conceptInput(deidSha256), measured.conceptInput);
        return {
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
  return { images: results.filter((r): r is ProcessedImage => r !== undefined), exclusions: exclusions.sort((a, b) => (a.key! < b.key! ? -1 : 1)) };
}
