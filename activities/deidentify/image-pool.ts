import os from 'node:os';
import { Piscina } from 'piscina';
import type { ImageTask, ImageTaskResult, TextTask } from './image-thread.ts';
import type { TextFindings } from '../../schemas/text-findings.ts';

/** The threads' two kinds of work: `imageTask` (the default export name) and `textTask`. */
export type ImageThreads = Piscina<ImageTask | TextTask, ImageTaskResult | TextFindings>;

const pools = new Map<string, ImageThreads>();

/**
 * The worker process's threads for per-image work. Decoding runs in libvips either way, but the
 * statistics, hashes and segment rewriting around it are JavaScript: on the main thread they would
 * take one core and starve Temporal's heartbeats, in threads they use every core. Two tasks per thread
 * by default, so one thread's JavaScript runs while the other task waits for libvips; one, for an image
 * that must run alone (see run-image-task.ts). Text detection (`textTask`) runs in the same threads.
 * Idle threads exit. `threads` 0 means one per core.
 */
export function imagePool(threads: number, tasksPerThread = 2): ImageThreads {
  const key = `${threads}/${tasksPerThread}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Piscina<ImageTask | TextTask, ImageTaskResult | TextFindings>({
      filename: new URL('./image-thread.mjs', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads || os.availableParallelism(),
      concurrentTasksPerWorker: tasksPerThread,
      idleTimeout: 2_000,
    });
    pools.set(key, pool);
  }
  return pool;
}
