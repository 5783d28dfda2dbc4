import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../storage/files.ts';

export const MANIFEST = 'MANIFEST.sha256';
/** The DuckDB file is a convenience index over the Parquet tables; its storage header differs between identical builds. */
export const OUTSIDE_MANIFEST = new Set([MANIFEST, 'milk10k.duckdb', 'milk10k.duckdb.wal']);

/** `sha256sum`-compatible lines for every file of a release, sorted by path, so `sha256sum -c` verifies it. */
export async function manifestOf(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => !OUTSIDE_MANIFEST.has(f))
    .sort();
  const lines = [];
  for (const file of files) lines.push(`${sha256(await readFile(path.join(dir, file)))}  ${file}`);
  return `${lines.join('\n')}\n`;
}
