import { SplitState } from '../../schemas/split.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/** The frozen split of the previous build, or an empty one before the first. */
export async function readSplitState(store: BlobStore, key: string): Promise<SplitState> {
  const file = store.where(key);
  const bytes = await store.get(key);
  if (bytes === undefined) return { assignments: {} };
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`split state '${file}' is not valid JSON: ${(err as Error).message}`);
  }
  const result = SplitState.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`split state '${file}' is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

/** Atomically, so a crash never leaves a half-written state that would unfreeze lesions. */
export async function writeSplitState(store: BlobStore, key: string, state: SplitState): Promise<void> {
  await store.put(key, `${JSON.stringify(state, null, 1)}\n`);
}
