import os from 'node:os';
import { Piscina } from 'piscina';
import type { ImageTask, ImageTaskResult } from './image-thread.ts';

let pool: Piscina<ImageTask, ImageTaskResult> | undefined;

/**
 * The worker process's threads for per-image work. Decoding runs in libvips either way, but the
 * statistics, hashes and segment rewriting around it are JavaScript: on the main thread they would
 * take one core and starve Temporal's heartbeats, in threads they use every core. Two tasks per thread,
 * so one thread's JavaScript runs while the other task waits for libvips. Idle threads exit.
 * `threads` 0 means one per core.
 */
export function imagePool(threads: number): Piscina<ImageTask, ImageTaskResult> {
  pool ??= new Piscina<ImageTask, ImageTaskResult>({
    filename: new URL('./image-thread.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads || os.availableParallelism(),
    concurrentTasksPerWorker: 2,
    idleTimeout: 2_000,
  });
  return pool;
}
