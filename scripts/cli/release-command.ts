import { Command } from 'commander';
import { ReleaseCatalog } from '../../activities/release/versions/release-catalog.ts';
import { diffReleases, entryLine, groupDiff } from '../../activities/release/versions/release-diff.ts';
import { openStorage } from '../../activities/storage/open-store.ts';
import type { DiffEntry } from '../../schemas/catalog.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';
import { publishCommand } from './publish-command.ts';

/** `milk release`: the commands that work on recorded release versions. */
export function releaseCommand(): Command {
  const release = new Command('release').description('work with recorded release versions: list, diff, publish');
  release
    .command('list')
    .description('list the recorded release versions, oldest first')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the catalog entries as one JSON array')
    .action(async (opts: { config: string; json?: boolean }) => {
      const versions = await catalogOf(opts.config).versions();
      if (opts.json) return console.log(JSON.stringify(versions, null, 2));
      if (versions.length === 0) return console.log('no release version is recorded yet: run `milk build`');
      for (const v of versions) {
        console.log(`${v.version.padEnd(9)} ${v.bump.padEnd(8)} ${String(v.lesions).padStart(6)} lesions (${v.benchmarkLesions} benchmark) ${String(v.images).padStart(6)} images  content ${v.contentHash.slice(0, 12)}  ${v.createdAt}  ${v.workflowId}`);
      }
    });
  release
    .command('diff')
    .description('list the lesions and images added, removed and changed from one release version to another, with the reason for each')
    .argument('<from>', 'a version number, latest or previous')
    .argument('<to>', 'a version number, latest or previous')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the entries as one JSON array')
    .action(async (from: string, to: string, opts: { config: string; json?: boolean }) => {
      const catalog = catalogOf(opts.config);
      const [a, b] = [await catalog.read(from), await catalog.read(to)];
      const entries = diffReleases(a.snapshot, b.snapshot, await catalog.reasonsBetween(a.entry.version, b.entry.version));
      console.log(opts.json ? JSON.stringify(entries, null, 2) : diffText(a.entry.version, b.entry.version, entries));
    });
  release.addCommand(publishCommand());
  return release;
}

function catalogOf(configFile: string): ReleaseCatalog {
  const loaded = loadConfig(configFile);
  return new ReleaseCatalog(openStorage(loaded));
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
