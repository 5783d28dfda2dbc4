import { StorageLayout } from '../storage/layout.ts';
import { UndecodableImage } from './deidentify-image.ts';
import { processSource, type ProcessedSource } from './process-image.ts';

export interface ImageTask {
  root: string;
  releaseDir: string;
  sourceSha256: string;
}

/** A thread's answer: the result, or why the bytes are not an image (an error class does not cross threads). */
export type ImageTaskResult = { processed: ProcessedSource } | { undecodable: string };

/** Runs in a pool thread (see image-pool.ts): one staged image, de-identified and measured. */
export async function imageTask(task: ImageTask): Promise<ImageTaskResult> {
  try {
    return { processed: await processSource(task.sourceSha256, new StorageLayout(task.root, task.releaseDir)) };
  } catch (err) {
    if (err instanceof UndecodableImage) return { undecodable: err.message };
    throw err;
  }
}
