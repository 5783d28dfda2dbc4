import { randomBytes } from 'node:crypto';
import type { ProgressRow } from '../../schemas/records.ts';
import type { Lake } from '../storage/lake.ts';
import { tables } from '../storage/tables.ts';

/**
 * A retrieval's resume state in the lake (`retrieve-progress`, the centre's partition). An object
 * store has no append, so rows are group-committed: each write stores every row staged while the
 * previous write was in flight, as one part. A crash thus loses at most the objects of the write in
 * flight, and a store as slow as S3 gets one write per round trip, not one per object. Private (it
 * holds source keys); never a payload.
 */
export class RetrieveProgress {
  private written = Promise.resolve();
  private next: { rows: ProgressRow[]; written: Promise<void> } | undefined;
  private part = 0;
  /** parts of different attempts never share a name */
  private readonly attempt = randomBytes(4).toString('hex');

  constructor(private readonly lake: Lake, private readonly centre: string) {}

  /** The rows earlier attempts recorded. */
  read(): Promise<ProgressRow[]> {
    return this.lake.read(tables.retrieveProgress, this.centre);
  }

  /** Records a staged object; resolves once it is stored. */
  append(row: ProgressRow): Promise<void> {
    if (!this.next) {
      const rows: ProgressRow[] = [];
      const written = this.written.then(async () => {
        this.next = undefined; // rows appended from now on go into the part after this one
        const shard = `${this.attempt}-${String(this.part++).padStart(6, '0')}`;
        await this.lake.writeShard(tables.retrieveProgress, this.centre, shard, rows);
      });
      this.next = { rows, written };
      this.written = written;
    }
    this.next.rows.push(row);
    return this.next.written;
  }

  /** Resolves when every row appended so far is stored. */
  flush(): Promise<void> {
    return this.written;
  }

  async clear(): Promise<void> {
    await this.flush();
    await this.lake.clearPartition(tables.retrieveProgress, this.centre);
  }
}
