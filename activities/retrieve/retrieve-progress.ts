import { randomBytes } from 'node:crypto';
import type { ProgressRow } from '../../schemas/records.ts';
import type { Lake } from '../storage/lake.ts';
import { tables } from '../storage/tables.ts';

/** Staged objects are recorded in parts of up to this many rows, or sooner when a write is awaited. */
const PART_ROWS = 200;

/**
 * A retrieval's resume state in the lake (`retrieve-progress`, the centre's partition): the staged
 * objects are written in parts as they are staged (an object store has no append), so a crash loses
 * at most the objects in flight and an unwritten part. Private (it holds source keys); never a payload.
 */
export class RetrieveProgress {
  private buffered: ProgressRow[] = [];
  private written = Promise.resolve();
  private part = 0;
  /** parts of different attempts never share a name */
  private readonly attempt = randomBytes(4).toString('hex');

  constructor(private readonly lake: Lake, private readonly centre: string) {}

  /** The rows earlier attempts recorded. */
  read(): Promise<ProgressRow[]> {
    return this.lake.read(tables.retrieveProgress, this.centre);
  }

  /** Records a staged object; resolves once it is stored (rows are written a part at a time). */
  append(row: ProgressRow): Promise<void> {
    this.buffered.push(row);
    return this.buffered.length >= PART_ROWS ? this.flush() : this.written;
  }

  /** Writes what is buffered; resolves when every row appended so far is stored. */
  flush(): Promise<void> {
    const rows = this.buffered;
    this.buffered = [];
    if (rows.length > 0) {
      const shard = `${this.attempt}-${String(this.part++).padStart(6, '0')}`;
      this.written = this.written.then(() => this.lake.writeShard(tables.retrieveProgress, this.centre, shard, rows));
    }
    return this.written;
  }

  async clear(): Promise<void> {
    await this.flush();
    await this.lake.clearPartition(tables.retrieveProgress, this.centre);
  }
}
