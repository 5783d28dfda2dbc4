import pMap from 'p-map';
import { ProcessedImage, type Exclusion, type SourceObject } from '../../schemas/records.ts';
import type { StorageLocation } from '../../schemas/config.ts';
import type { ImageFormat } from '../../schemas/image-format.ts';
import { getText } from '../storage/blob-store.ts';
import type { Storage } from '../storage/storage.ts';
import { runImageTask, type ImageTaskOutcome } from './run-image-task.ts';

/**
 * Bump when de-identification or QC measurement changes what they produce: cached results of another
 * version are ignored, so every image is processed again by the new code.
 */
export const PROCESSING_VERSION = 4;

export interface ProcessedBatch {
  images: ProcessedImage[];
  exclusions: Exclusion[];
  /** the images this call de-identified itself rather than finding them cached */
  computed: ProcessedImage[];
}

/**
 * De-identifies and measures a batch of staged source images, several in flight at once, in the
 * process's image threads (image-pool.ts), so the event loop stays free for heartbeats. Output JPEGs are
 * content-addressed, so a retried batch writes the same files; a source image (by sha256) processed
 * by a previous build with the same PROCESSING_VERSION is not decoded again.
 */
export async function processImages(
  objects: readonly SourceObject[],
  storage: Storage,
  /** `location`: the store's, for the image threads to open it themselves */
  options: { imagesInFlight: number; threads: number; timeoutMs: number; location: StorageLocation; formats: ImageFormat[] },
  onImageDone: () => void,
): Promise<ProcessedBatch> {
  const exclusions: Exclusion[] = [];
  const computed: ProcessedImage[] = [];
  const results = await pMap(
    objects,
    async (object): Promise<ProcessedImage | undefined> => {
      try {
        const cached = await readCached(storage, object.sha256);
        if (cached && !options.formats.includes(cached.format)) {
          const detail = `${object.key}: content is ${cached.format}, not one of the allowed image formats (${options.formats.join(', ')})`;
          exclusions.push({ centre: object.centre, stage: 'deidentify', entity: 'image', reason: 'unsupported-format', detail, key: object.key, sha256: object.sha256 });
          return undefined;
        }
        if (cached) return { ...cached, centre: object.centre, key: object.key };
        const task = { location: options.location, releaseDir: storage.layout.release, sourceSha256: object.sha256, formats: options.formats };
        const result = await runImageTask(task, options.threads, options.timeoutMs);
        if (!('processed' in result)) {
          const [reason, why] = refusal(result);
          exclusions.push({ centre: object.centre, stage: 'deidentify', entity: 'image', reason, detail: `${object.key}: ${why}`, key: object.key, sha256: object.sha256 });
          return undefined;
        }
        const processed: ProcessedImage = { ...result.processed, centre: object.centre, key: object.key };
        await storage.store.put(storage.layout.processedCache(object.sha256, PROCESSING_VERSION), JSON.stringify(processed));
        computed.push(processed);
        return processed;
      } finally {
        onImageDone();
      }
    },
    { concurrency: options.imagesInFlight },
  );
  return { images: results.filter((r): r is ProcessedImage => r !== undefined), exclusions: exclusions.sort((a, b) => (a.key! < b.key! ? -1 : 1)), computed };
}

/** The exclusion reason and detail of an image the thread did not process. */
function refusal(result: Exclude<ImageTaskOutcome, { processed: unknown }>): [string, string] {
  if ('undecodable' in result) return ['undecodable-image', result.undecodable];
  if ('unsupported' in result) return ['unsupported-format', result.unsupported];
  if ('crashed' in result) return ['decoder-crash', `processing failed: ${result.crashed}`];
  return ['decoder-timeout', result.timedOut];
}

/** The earlier result for the same source bytes, if its outputs are still all there. */
async function readCached({ store, layout }: Storage, sourceSha256: string): Promise<Omit<ProcessedImage, 'centre' | 'key'> | undefined> {
  let cached: ProcessedImage;
  try {
    cached = ProcessedImage.parse(JSON.parse(await getText(store, layout.processedCache(sourceSha256, PROCESSING_VERSION))));
  } catch {
    return undefined;
  }
  const complete = (await store.exists(layout.deidImage(cached.deidSha256))) && (await store.exists(layout.conceptInput(cached.deidSha256)));
  return complete ? cached : undefined;
}
