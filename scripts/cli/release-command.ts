import { Command } from 'commander';
import { ReleaseCatalog } from '../../activities/release/release-catalog.ts';
import { diffReleases, entryLine, groupDiff } from '../../activities/release/release-diff.ts';
import { StorageLayout } from '../../activities/storage/layout.ts';
import type { DiffEntry } from '../../schemas/catalog.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

/** `milk release`: the commands that work on recorded release versions. */
export function releaseCommand(): Command {
  const release = new Command('release').description('work with recorded release versions');
  release
    .command('diff')
    .description('list the lesions and images added, removed and changed from one release version to another, with the reason for each')
    .argument('<from>', 'a version number, latest or previous')
    .argument('<to>', 'a version number, latest or previous')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the entries as one JSON array')
    .action(async (from: string, to: string, opts: { config: string; json?: boolean }) => {
      const loaded = loadConfig(opts.config);
      const catalog = new ReleaseCatalog(new StorageLayout(loaded.storageRoot, loaded.config.release.dir).releases);
      const [a, b] = [await catalog.read(from), await catalog.read(to)];
      const entries = diffReleases(a.snapshot, b.snapshot, await catalog.reasonsBetween(a.entry.version, b.entry.version));
      console.log(opts.json ? JSON.stringify(entries, null, 2) : diffText(a.entry.version, b.entry.version, entries));
    });
  return release;
}

/** A summary line per reason, then the entries of each reason. */
function diffText(from: string, to: string, entries: readonly DiffEntry[]): string {
  const groups = groupDiff(entries);
  if (groups.length === 0) return `${from} -> ${to}: no lesion or image changed`;
  const label = (g: (typeof groups)[number]) => `${g.entity} ${g.change} (${g.reason})`;
  return [
    `${from} -> ${to}: ${entries.length} change(s)`,
    ...groups.map((g) => `  ${label(g)}: ${g.entries.length}`),
    ...groups.flatMap((g) => ['', `${label(g)}:`, ...g.entries.map((e) => `  ${entryLine(e)}`)]),
  ].join('\n');
}
