import type { StorageLocation, TextConfig } from '../../schemas/config.ts';
import type { TextFindings } from '../../schemas/text-findings.ts';
import { getRequired } from '../storage/blob-store.ts';
import type { ImageFormat } from '../../schemas/image-format.ts';
import { StorageLayout } from '../storage/layout.ts';
import { openBlobStore } from '../storage/open-store.ts';
import type { Storage } from '../storage/storage.ts';
import { ImageCrash, UndecodableImage, UnsupportedFormat } from './deidentify-image.ts';
import { processSource, type ProcessedSource } from './process-image.ts';
import { TextReader } from './text-reader.ts';

export interface ImageTask {
  /** where the store is (plain data: a store object does not cross threads) */
  location: StorageLocation;
  releaseDir: string;
  sourceSha256: string;
  formats: ImageFormat[];
}

/** A thread's answer: the result, or why the bytes are not an image or could not be processed (an error class does not cross threads). */
export type ImageTaskResult = { processed: ProcessedSource } | { undecodable: string } | { unsupported: string } | { crashed: string };

/** A de-identified image to find text in. */
export interface TextTask {
  location: StorageLocation;
  releaseDir: string;
  deidSha256: string;
  settings: TextConfig;
}

/** One store per thread, opened by its first task (an S3 client keeps its connections). */
let storage: { key: string; storage: Storage } | undefined;
function storageOf(task: Pick<ImageTask, 'location' | 'releaseDir'>): Storage {
  const key = JSON.stringify([task.location, task.releaseDir]);
  if (storage?.key !== key) storage = { key, storage: { store: openBlobStore(task.location), layout: new StorageLayout(task.releaseDir) } };
  return storage.storage;
}

/** Runs in a pool thread (see image-pool.ts): one staged image, de-identified and measured. */
export async function imageTask(task: ImageTask): Promise<ImageTaskResult> {
  try {
    return { processed: await processSource(task.sourceSha256, storageOf(task), task.formats) };
  } catch (err) {
    if (err instanceof UndecodableImage) return { undecodable: err.message };
    if (err instanceof UnsupportedFormat) return { unsupported: err.message };
    if (err instanceof ImageCrash) return { crashed: err.message };
    throw err;
  }
}

/** The thread's text reader, loaded by its first text task (two ONNX sessions). */
let reader: Promise<TextReader> | undefined;

/** Runs in a pool thread: the text regions of one de-identified image, and what they read. */
export async function textTask(task: TextTask): Promise<TextFindings> {
  reader ??= TextReader.load();
  const { store, layout } = storageOf(task);
  return (await reader).read(await getRequired(store, layout.deidImage(task.deidSha256)), task.settings);
}
