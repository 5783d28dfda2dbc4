import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SourceObject } from '../../schemas/records.ts';

export const ProgressRow = SourceObject.extend({ fetched: z.boolean() });
export type ProgressRow = z.infer<typeof ProgressRow>;

/**
 * A retrieval's resume state: one line appended per staged object, as soon as it is staged, so a
 * crash loses at most the objects in flight. Private (it holds source keys); never a payload.
 */
export class RetrieveProgress {
  private pending = Promise.resolve();

  constructor(private readonly file: string) {}

  /** The rows an earlier attempt recorded; a line cut short by the crash is ignored. */
  async read(): Promise<ProgressRow[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text.split('\n').flatMap((line) => {
      try {
        return line ? [ProgressRow.parse(JSON.parse(line))] : [];
      } catch {
        return [];
      }
    });
  }

  append(row: ProgressRow): Promise<void> {
    this.pending = this.pending.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, `${JSON.stringify(row)}\n`);
    });
    return this.pending;
  }

  async flush(): Promise<void> {
    await this.pending;
  }

  async clear(): Promise<void> {
    await this.pending;
    await rm(this.file, { force: true });
  }
}
