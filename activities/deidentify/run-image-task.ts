import type { TextFindings } from '../../schemas/text-findings.ts';
import { imagePool } from './image-pool.ts';
import type { ImageTask, ImageTaskResult, TextTask } from './image-thread.ts';

/** The image threads' functions (image-thread.mjs): the task each takes and what it answers. */
interface ThreadWork {
  imageTask: [ImageTask, ImageTaskResult];
  textTask: [TextTask, TextFindings];
}

/** What becomes of one image's task: the thread's answer, or that the image killed or outlasted its thread. */
export type ThreadOutcome<T> = T | { crashed: string } | { timedOut: string };

/**
 * Runs one image's task (`name`: which thread function) in the shared pool, within `timeoutMs`. A
 * thread that dies (exits, runs out of memory) or is stopped for overrunning takes every task it holds
 * with it, so a task lost that way is run again alone, in a thread of its own: only if it dies or
 * overruns there too is it the image's (`crashed`, `timedOut`). Anything the thread itself throws (the
 * store failing) is the build's and is thrown, for the activity to be retried.
 */
export async function runImageTask<N extends keyof ThreadWork>(name: N, task: ThreadWork[N][0], threads: number, timeoutMs: number): Promise<ThreadOutcome<ThreadWork[N][1]>> {
  const run = (pool: ReturnType<typeof imagePool>) => pool.run(task, { name, signal: AbortSignal.timeout(timeoutMs) }) as Promise<ThreadWork[N][1]>;
  try {
    return await run(imagePool(threads));
  } catch (err) {
    if (!lostWithThread(err)) throw err;
  }
  try {
    return await run(imagePool(1, 1));
  } catch (err) {
    if (!lostWithThread(err)) throw err;
    return timedOut(err) ? { timedOut: `still being processed after ${timeoutMs / 1000} s, twice (the second time alone in a thread)` } : { crashed: `its image thread died, twice: ${(err as Error).message}` };
  }
}

/** Piscina's rejection of a task stopped on our time limit (not one aborted because the pool closes). */
function timedOut(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string } };
  return e.name === 'AbortError' && e.cause?.name === 'TimeoutError';
}

/** Piscina's errors for a task whose thread went away: stopped on our time limit, exited, out of memory, or terminated with another task. */
function lostWithThread(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return timedOut(err) || e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /^(worker exited with code|Terminating worker thread)/.test(e.message ?? '');
}
