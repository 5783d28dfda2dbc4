import { getText, type BlobStore } from './blob-store.ts';
import type { LakeTable } from './tables.ts';

/** The lake's shards are JSON lines under `private/lake/<table>/<partition>/<shard>.jsonl`. */
const LAKE = 'private/lake';

/**
 * The private lake: tables (tables.ts) stored as JSON-lines shards in the BlobStore, one object per
 * (partition, shard). Parallel activities each write their own shard (idempotently: same input, same
 * shard name, same content); single-writer stages read whole tables. Rows are checked against the
 * table's schema on read.
 */
export class Lake {
  constructor(private readonly store: BlobStore) {}

  private shardKey(table: LakeTable<unknown>, partition: string, shard: string): string {
    return `${LAKE}/${table.name}/${partition}/${shard}.jsonl`;
  }

  /** Where a shard is, for messages that send a curator to it. */
  where(table: LakeTable<unknown>, partition: string, shard: string): string {
    return this.store.where(this.shardKey(table, partition, shard));
  }

  async writeShard<T>(table: LakeTable<T>, partition: string, shard: string, rows: readonly T[]): Promise<void> {
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    await this.store.put(this.shardKey(table, partition, shard), text);
  }

  /** Drops a partition, so a re-run of the stage that owns it starts clean instead of mixing old shards in. */
  async clearPartition(table: LakeTable<unknown>, partition: string): Promise<void> {
    await this.store.deletePrefix(`${LAKE}/${table.name}/${partition}/`);
  }

  /** One shard's rows; an error with code ENOENT when the shard does not exist. */
  async readShard<T>(table: LakeTable<T>, partition: string, shard: string): Promise<T[]> {
    const key = this.shardKey(table, partition, shard);
    return [...parseLines(await getText(this.store, key), key, this.store.where(key), table)];
  }

  /** Every row of a table in the given partitions, in their order. */
  async readPartitions<T>(table: LakeTable<T>, partitions: readonly string[]): Promise<T[]> {
    return (await Promise.all(partitions.map((p) => this.read(table, p)))).flat();
  }

  /** Every row of a table (optionally one partition), in a stable order: partitions and shards sorted by name. */
  async read<T>(table: LakeTable<T>, partition?: string): Promise<T[]> {
    const rows: T[] = [];
    for await (const row of this.rows(table, partition)) rows.push(row);
    return rows;
  }

  /** The rows of `read`, one at a time, reading one shard at a time: for consumers that need not hold the table. */
  async *rows<T>(table: LakeTable<T>, partition?: string): AsyncIterable<T> {
    const prefix = `${LAKE}/${table.name}/${partition === undefined ? '' : `${partition}/`}`;
    for (const entry of await this.store.list(prefix)) {
      if (!entry.key.endsWith('.jsonl')) continue;
      const bytes = await this.store.get(entry.key);
      if (bytes !== undefined) yield* parseLines(bytes.toString('utf8'), entry.key, this.store.where(entry.key), table);
    }
  }
}

/** `key` (relative to the store, so a message redacted for Temporal still names it) and `where` (its full location). */
function* parseLines<T>(text: string, key: string, where: string, table: LakeTable<T>): Iterable<T> {
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.length === 0) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`lake shard ${key} line ${lineNumber} is not JSON: the shard is damaged; delete it (${where}) and build again, which writes it afresh`, { cause: err });
    }
    const result = table.schema.safeParse(row);
    if (!result.success) throw new Error(`lake shard ${key} line ${lineNumber}: ${result.error.issues[0]?.message} ('${where}')`);
    yield result.data;
  }
}
