import type { BlobStore } from './blob-store.ts';
import { INCOMING } from './folder-store.ts';
import { discardLocalScratch } from './s3-store.ts';

/** What a sweep found, and removed unless it was a dry run. */
export interface Sweep {
  /** keys (or, for a half-built tree, its folder) in the store */
  stored: string[];
  bytes: number;
  /** entries of this machine's temporary folder left by processes that are gone */
  localScratch: string[];
}

/** Where a crashed attempt can leave something: a write's temporary sibling, a partial download, a raw object on its way in, a half-built or replaced release. */
const LEFTOVER = [/\.tmp$/, /\.part$/, new RegExp(`^${INCOMING}/`), /(^|\/)[^/]+\.(building|previous)-[^/]+\//];

/**
 * Finds, and unless `dryRun` removes, what crashed attempts left behind in the store and in this
 * machine's scratch. Run it while no build runs (`milk gc` checks): a running attempt's scratch
 * looks the same.
 */
export async function sweepLeftovers(store: BlobStore, options: { dryRun: boolean }): Promise<Sweep> {
  const found = (await store.list('')).filter((e) => LEFTOVER.some((pattern) => pattern.test(e.key)));
  // A half-built tree is removed as a whole folder; every other leftover is one object.
  const tree = (key: string) => /^(.*?[^/]+\.(?:building|previous)-[^/]+)\//.exec(key)?.[1];
  const trees = new Set(found.map((e) => tree(e.key)).filter((t): t is string => t !== undefined));
  const objects = found.filter((e) => tree(e.key) === undefined).map((e) => e.key);
  const sweep: Sweep = { stored: [...trees, ...objects].sort(), bytes: found.reduce((n, e) => n + e.size, 0), localScratch: [] };
  if (options.dryRun) return sweep;
  for (const folder of trees) await store.deletePrefix(`${folder}/`);
  for (const key of objects) await store.delete(key);
  sweep.localScratch = await discardLocalScratch();
  return sweep;
}
