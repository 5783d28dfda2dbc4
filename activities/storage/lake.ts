import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { writeFileAtomic } from './files.ts';

/** Shard name of batch n of a stage that works in batches (image batches, concept batches). */
export const batchShard = (batch: number) => `batch-${String(batch).padStart(5, '0')}`;

/**
 * The private lake: tables stored as JSON-lines shards, one file per (partition, shard). Parallel
 * activities each write their own shard (idempotently: same input, same shard name, same content);
 * single-writer stages read whole tables.
 */
export class Lake {
  constructor(private readonly dir: (table: string) => string) {}

  private shardPath(table: string, partition: string, shard: string): string {
    return path.join(this.dir(table), partition, `${shard}.jsonl`);
  }

  async writeShard(table: string, partition: string, shard: string, rows: readonly object[]): Promise<void> {
    const text = rows.map((row) => JSON.stringify(row)).join('\n');
    await writeFileAtomic(this.shardPath(table, partition, shard), rows.length ? `${text}\n` : '');
  }

  /** Drops a partition, so a re-run of the stage that owns it starts clean instead of mixing old shards in. */
  async clearPartition(table: string, partition: string): Promise<void> {
    await rm(path.join(this.dir(table), partition), { recursive: true, force: true });
  }

  async readShard<T>(table: string, partition: string, shard: string, schema: z.ZodType<T>): Promise<T[]> {
    const file = this.shardPath(table, partition, shard);
    return [...parseLines(await readFile(file, 'utf8'), file, schema)];
  }

  /** Every row of a table in the given partitions, in their order. */
  async readPartitions<T>(table: string, schema: z.ZodType<T>, partitions: readonly string[]): Promise<T[]> {
    return (await Promise.all(partitions.map((p) => this.read(table, schema, p)))).flat();
  }

  /** Every row of a table (optionally one partition), in a stable order: partitions and shards sorted by name. */
  async read<T>(table: string, schema: z.ZodType<T>, partition?: string): Promise<T[]> {
    const rows: T[] = [];
    for await (const row of this.rows(table, schema, partition)) rows.push(row);
    return rows;
  }

  /** The rows of `read`, one at a time, reading one shard at a time: for consumers that need not hold the table. */
  async *rows<T>(table: string, schema: z.ZodType<T>, partition?: string): AsyncIterable<T> {
    const partitions = partition ? [partition] : await listSorted(this.dir(table));
    for (const part of partitions) {
      for (const shard of await listSorted(path.join(this.dir(table), part))) {
        if (!shard.endsWith('.jsonl')) continue;
        const file = path.join(this.dir(table), part, shard);
        yield* parseLines(await readFile(file, 'utf8'), file, schema);
      }
    }
  }
}

function* parseLines<T>(text: string, file: string, schema: z.ZodType<T>): Iterable<T> {
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.length === 0) continue;
    const result = schema.safeParse(JSON.parse(line));
    if (!result.success) throw new Error(`${file} line ${lineNumber}: ${result.error.issues[0]?.message}`);
    yield result.data;
  }
}

async function listSorted(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
