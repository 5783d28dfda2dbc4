import { readFile } from 'node:fs/promises';
import { SplitState } from '../../schemas/split.ts';
import { writeFileAtomic } from '../storage/files.ts';

/** The frozen split of the previous build, or an empty one before the first. */
export async function readSplitState(file: string): Promise<SplitState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { assignments: {} };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`split state ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const result = SplitState.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`split state ${file} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

/** Atomically, so a crash never leaves a half-written state that would unfreeze lesions. */
export async function writeSplitState(file: string, state: SplitState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(state, null, 1)}\n`);
}
