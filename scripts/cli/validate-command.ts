import { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../schemas/config.ts';

/** `milk validate`: the config and every centre's drop checked in seconds, without Temporal. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check the config (unknown keys, check names, paths) and every centre\'s drop: it lists, its metadata parses with the dialect, values are in the vocabulary, referenced images exist; without Temporal, staging nothing')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--changes', 'also count objects new, changed and deleted since the last build in the storage root')
    .option('--details', 'show the rows\' own values in the examples (private: file names, local values)')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { config: string; changes?: boolean; details?: boolean; json?: boolean }) => {
      const loaded = loadConfig(opts.config);
      // Loaded here, with the S3 SDK behind it: `milk --help` stays fast.
      const { formatPreflight, preflight } = await import('../validate/preflight.ts');
      const centres = await preflight(loaded, { details: opts.details === true, changes: opts.changes === true });
      console.log(opts.json ? JSON.stringify({ config: loaded.file, centres }) : `${loaded.file}: config ok\n${formatPreflight(centres)}`);
      // A drop with bad rows still builds (they become exclusions); a centre that cannot be read does not.
      if (centres.some((c) => c.error)) process.exitCode = 1;
    });
}
