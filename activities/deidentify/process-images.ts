import pMap from 'p-map';
import { ProcessedImage, type Exclusion, type SourceObject } from '../../schemas/records.ts';
import type { StorageLocation, TextConfig } from '../../schemas/config.ts';
import type { ImageFormat } from '../../schemas/image-format.ts';
import { getText } from '../storage/blob-store.ts';
import type { Storage } from '../storage/storage.ts';
import { runImageTask, type ThreadOutcome } from './run-image-task.ts';
import type { ImageTaskResult } from './image-thread.ts';
import { sha256 } from '../storage/files.ts';
import { TextFindings, textScore } from '../../schemas/text-findings.ts';

/**
 * Bump when de-identification or QC measurement changes what they produce: cached results of another
 * version are ignored, so every image is processed again by the new code.
 */
export const PROCESSING_VERSION = 4;

/** Bump when the text reader (text-reader.ts, text-boxes.ts, the models) changes what it finds: the text cache is keyed by it and the settings. */
export const TEXT_READER_VERSION = 'pp-ocrv4-1';

export interface ProcessOptions {
  imagesInFlight: number;
  threads: number;
  /** how long one image's task may take in a thread (see run-image-task.ts) */
  timeoutMs: number;
  /** the store's, for the image threads to open it themselves */
  location: StorageLocation;
  formats: ImageFormat[];
  text: TextConfig;
}

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
  options: ProcessOptions,
  onImageDone: () => void,
): Promise<ProcessedBatch> {
  const exclusions: Exclusion[] = [];
  const computed: ProcessedImage[] = [];
  const exclude = (object: SourceObject, [reason, why]: [string, string]) => {
    exclusions.push({ centre: object.centre, stage: 'deidentify', entity: 'image', reason, detail: `${object.key}: ${why}`, key: object.key, sha256: object.sha256 });
    return undefined;
  };
  /** the image with its burned-in text, or the refusal of an image whose text could not be read (its pixels are then unchecked) */
  const withText = async (object: SourceObject, image: ProcessedImage): Promise<ProcessedImage | undefined> => {
    if (!options.text.enabled) return image;
    const text = await readText(storage, image.deidSha256, options);
    if (!('regions' in text)) return exclude(object, refusal(text, 'text detection'));
    return { ...image, qc: { ...image.qc, burnedInText: textScore(text) }, text };
  };
  const results = await pMap(
    objects,
    async (object): Promise<ProcessedImage | undefined> => {
      try {
        const cached = await readCached(storage, object.sha256);
        if (cached && !options.formats.includes(cached.format)) {
          return exclude(object, ['unsupported-format', `content is ${cached.format}, not one of the allowed image formats (${options.formats.join(', ')})`]);
        }
        if (cached) return await withText(object, { ...cached, centre: object.centre, key: object.key });
        const task = { location: options.location, releaseDir: storage.layout.release, sourceSha256: object.sha256, formats: options.formats };
        const result = await runImageTask('imageTask', task, options.threads, options.timeoutMs);
        if (!('processed' in result)) return exclude(object, refusal(result, 'processing'));
        const processed: ProcessedImage = { ...result.processed, centre: object.centre, key: object.key };
        await storage.store.put(storage.layout.processedCache(object.sha256, PROCESSING_VERSION), JSON.stringify(processed));
        computed.push(processed);
        return await withText(object, processed);
      } finally {
        onImageDone();
      }
    },
    { concurrency: options.imagesInFlight },
  );
  return { images: results.filter((r): r is ProcessedImage => r !== undefined), exclusions: exclusions.sort((a, b) => (a.key! < b.key! ? -1 : 1)), computed };
}

/** The exclusion reason and detail of an image a thread did not process (`step`: which of its tasks failed). */
function refusal(result: Exclude<ThreadOutcome<ImageTaskResult | TextFindings>, { processed: unknown } | TextFindings>, step: string): [string, string] {
  if ('undecodable' in result) return ['undecodable-image', result.undecodable];
  if ('unsupported' in result) return ['unsupported-format', result.unsupported];
  if ('crashed' in result) return ['decoder-crash', `${step} failed: ${result.crashed}`];
  return ['decoder-timeout', `${step} ${result.timedOut}`];
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
async function readText({ store, layout }: Storage, deidSha256: string, options: ProcessOptions): Promise<ThreadOutcome<TextFindings>> {
  const { enabled: _, ...settings } = options.text;
  const key = layout.textCache(deidSha256, `${TEXT_READER_VERSION}-${sha256(JSON.stringify(settings)).slice(0, 12)}`);
  try {
    return TextFindings.parse(JSON.parse(await getText(store, key)));
  } catch {
    const findings = await runImageTask('textTask', { location: options.location, releaseDir: layout.release, deidSha256, settings: options.text }, options.threads, options.timeoutMs);
    if ('regions' in findings) await store.put(key, JSON.stringify(findings));
    return findings;
  }
}
