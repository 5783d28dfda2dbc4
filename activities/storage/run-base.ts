import type { z } from 'zod';
import { getText } from './blob-store.ts';
import type { Storage } from './storage.ts';

/**
 * The state a single step reads as "the previous build's" (an inventory, the frozen split), kept per
 * workflow run: the run's first attempt saves what it read, and its retries read that back. A retry
 * of a killed attempt therefore never takes the output that attempt already wrote for the previous
 * build's, so counts, changes and CHANGES.md come out as in an undisturbed build. Earlier runs' copies
 * of the step are dropped when a new run saves its own.
 */
export async function previousOfRun<T>({ store, layout }: Storage, step: string, runId: string | undefined, schema: z.ZodType<T>, read: () => Promise<T>): Promise<T> {
  if (runId === undefined) return read(); // outside a workflow run there is no retry to protect
  const key = layout.runBase(step, runId);
  if (await store.exists(key)) return schema.parse(JSON.parse(await getText(store, key)));
  const value = await read();
  await store.deletePrefix(layout.runBase(step, ''));
  await store.put(key, JSON.stringify(value));
  return value;
}
