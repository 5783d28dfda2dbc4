import os from 'node:os';
import { Piscina } from 'piscina';
import type { ImageTask, ImageTaskResult, TextTask } from './image-thread.ts';
import type { TextFindings } from '../../schemas/text-findings.ts';

let pool: Piscina<ImageTask | TextTask, ImageTaskResult | TextFindings> | undefined;

/**
 * The worker process's threads for per-image work. Decoding runs in libvips either way, but the
 * statistics, hashes and segment rewriting around it are JavaScript: on the main thread they would
 * take one core and starve Temporal's heartbeats, in threads they use every core. Two tasks per thread,
 * so one thread's JavaScript runs while the other task waits for libvips. Idle threads exit.
 * `threads` 0 means one per core. Text detection (`textTask`) runs in the same threads.
 */
export function imagePool(threads: number): ImagePool {
  pool ??= new Piscina<ImageTask | TextTask, ImageTaskResult | TextFindings>({
    filename: new URL('./image-thread.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads || os.availableParallelism(),
    concurrentTasksPerWorker: 2,
    idleTimeout: 2_000,
  });
  const threadPool = pool;
  return {
    process: (task) => threadPool.run(task) as Promise<ImageTaskResult>,
    readText: (task) => threadPool.run(task, { name: 'textTask' }) as Promise<TextFindings>,
  };
}

/** The two kinds of work the threads do. */
export interface ImagePool {
  process(task: ImageTask): Promise<ImageTaskResult>;
  readText(task: TextTask): Promise<TextFindings>;
}
