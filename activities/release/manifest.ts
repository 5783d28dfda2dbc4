import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../storage/blob-store.ts';
import { sha256 } from '../storage/files.ts';

export const MANIFEST = 'MANIFEST.sha256';
/** The DuckDB file is a convenience index over the Parquet tables; its storage header differs between identical builds. */
export const OUTSIDE_MANIFEST = new Set([MANIFEST, 'milk10k.duckdb', 'milk10k.duckdb.wal']);

/** One file a manifest covers: '/'-separated path relative to the release folder, sha256 and size. */
export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

/** Every file of a release the manifest covers (or only `only`), sorted by path, with its sha256 and size. */
export async function manifestEntries(dir: string, only?: readonly string[]): Promise<ManifestEntry[]> {
  const entries = [];
  for (const file of (only ? [...only].sort() : await releaseFiles(dir)).filter((f) => !OUTSIDE_MANIFEST.has(f))) {
    const bytes = await readFile(path.join(dir, file));
    entries.push({ path: file, sha256: sha256(bytes), size: bytes.length });
  }
  return entries;
}

/** `sha256sum`-compatible lines for every file of a release, sorted by path, so `sha256sum -c` verifies it. */
export async function manifestOf(dir: string): Promise<string> {
  return manifestText(await manifestEntries(dir));
}

/** The manifest's text for these entries, sorted by path. */
export function manifestText(entries: readonly ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return `${sorted.map((e) => `${e.sha256}  ${e.path}`).join('\n')}\n`;
}

/**
 * A cheap fingerprint of a release as it sits in the store: every file's key, size and version
 * (modification time or ETag; no content read), so a kept release can be checked for hand edits in a blink.
 */
export async function releaseFingerprint(store: BlobStore, prefix: string): Promise<string> {
  const entries = await store.list(`${prefix}/`);
  return sha256(entries.map((e) => `${e.key}\u0000${e.size}\u0000${e.version}`).join('\n'));
}

/** Every file of a release, '/'-separated and sorted. */
async function releaseFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}
