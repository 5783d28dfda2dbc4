import pMap from 'p-map';
import { ProcessedImage, type Exclusion, type SourceObject } from '../../schemas/records.ts';
import type { StorageLocation, TextConfig } from '../../schemas/config.ts';
import type { ImageFormat } from '../../schemas/image-format.ts';
import type { ImageTaskResult } from './image-thread.ts';
import { getText } from '../storage/blob-store.ts';
import type { Storage } from '../storage/storage.ts';
import { imagePool, type ImagePool } from './image-pool.ts';
import { sha256 } from '../storage/files.ts';
import { TextFindings, textScore } from '../../schemas/text-findings.ts';

/**
 * Bump when de-identification or QC measurement changes what they produce: cached results of another
 * version are ignored, so every image is processed again by the new code.
 */
export const PROCESSING_VERSION = 4;

/** Bump when the text reader (text-reader.ts, text-boxes.ts, the models) changes what it finds: the text cache is keyed by it and the settings. */
export const TEXT_READER_VERSION = 'pp-ocrv4-1';

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
 * by a previous build with the same PROCESSING_VERSION is not decoded again. With `text.enabled`, each
 * image's burned-in text is read too (cached on its own: readText).
 */
export async function processImages(
  objects: readonly SourceObject[],
  storage: Storage,
  /** `location`: the store's, for the image threads to open it themselves */
  options: { imagesInFlight: number; threads: number; location: StorageLocation; formats: ImageFormat[]; text: TextConfig },
  onImageDone: () => void,
): Promise<ProcessedBatch> {
  const exclusions: Exclusion[] = [];
  const computed: ProcessedImage[] = [];
  const pool = imagePool(options.threads);
  const withText = async (image: ProcessedImage): Promise<ProcessedImage> => {
    if (!options.text.enabled) return image;
    const text = await readText(storage, pool, image.deidSha256, options);
    return { ...image, qc: { ...image.qc, burnedInText: textScore(text) }, text };
  };
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
        if (cached) return await withText({ ...cached, centre: object.centre, key: object.key });
        const result: ImageTaskResult = await pool.process({ location: options.location, releaseDir: storage.layout.release, sourceSha256: object.sha256, formats: options.formats });
        if ('undecodable' in result || 'unsupported' in result) {
          const [reason, why] = 'undecodable' in result ? ['undecodable-image', result.undecodable] : ['unsupported-format', result.unsupported];
          exclusions.push({ centre: object.centre, stage: 'deidentify', entity: 'image', reason, detail: `${object.key}: ${why}`, key: object.key, sha256: object.sha256 });
          return undefined;
        }
        const processed: ProcessedImage = { ...result.processed, centre: object.centre, key: object.key };
        await storage.store.put(storage.layout.processedCache(object.sha256, PROCESSING_VERSION), JSON.stringify(processed));
        computed.push(processed);
        return await withText(processed);
      } finally {
        onImageDone();
      }
    },
    { concurrency: options.imagesInFlight },
  );
  return { images: results.filter((r): r is ProcessedImage => r !== undefined), exclusions: exclusions.sort((a, b) => (a.key! < b.key! ? -1 : 1)), computed };
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

/**
 * The text regions of a de-identified image, from the text cache (by de-identified sha256, reader
 * version and settings) or read in an image thread. Separate from the processed cache, so turning text
 * detection on or changing its settings re-reads images without de-identifying them again.
 */
async function readText({ store, layout }: Storage, pool: ImagePool, deidSha256: string, options: { location: StorageLocation; text: TextConfig }): Promise<TextFindings> {
  const { enabled: _, ...settings } = options.text;
  const key = layout.textCache(deidSha256, `${TEXT_READER_VERSION}-${sha256(JSON.stringify(settings)).slice(0, 12)}`);
  try {
    return TextFindings.parse(JSON.parse(await getText(store, key)));
  } catch {
    const findings = await pool.readText({ location: options.location, releaseDir: layout.release, deidSha256, settings: options.text });
    await store.put(key, JSON.stringify(findings));
    return findings;
  }
}
