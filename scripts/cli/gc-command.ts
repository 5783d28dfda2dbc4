import { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { buildWorkflowId } from '../build-start.ts';

/** `milk gc`: removes what crashed attempts left behind, when no build of the dataset runs. */
export function gcCommand(): Command {
  return new Command('gc')
    .description('remove what crashed attempts left: temporary and partial files, raw objects on their way into staging, half-built releases, and this machine\'s scratch of dead worker processes')
    .option('-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE)
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--force', 'sweep even when Temporal cannot say whether a build runs')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { config: string; dryRun?: boolean; force?: boolean; json?: boolean }) => {
      const loaded = loadConfig(opts.config);
      await refuseWhileBuilding(loaded, opts.force === true);
      const { sweepLeftovers } = await import('../../activities/storage/leftovers.ts'); // with the S3 SDK: loaded only when used
      const { openStorage } = await import('../../activities/storage/open-store.ts');
      const sweep = await sweepLeftovers(openStorage(loaded).store, { dryRun: opts.dryRun === true });
      if (opts.json) return console.log(JSON.stringify(sweep));
      const verb = opts.dryRun ? 'would remove' : 'removed';
      console.log(`${verb} ${sweep.stored.length} leftover(s) in ${loaded.storageRoot} (${(sweep.bytes / 1024 / 1024).toFixed(1)} MiB) and ${sweep.localScratch.length} scratch entr(ies) of dead processes`);
      for (const key of sweep.stored.slice(0, 20)) console.log(`  ${key}`);
      if (sweep.stored.length > 20) console.log(`  ... and ${sweep.stored.length - 20} more`);
    });
}

/** A running build's scratch looks like a crashed one's: sweep only when Temporal says none runs. */
async function refuseWhileBuilding(loaded: LoadedConfig, force: boolean): Promise<void> {
  let running: boolean;
  try {
    const { connectClient } = await import('../../worker/connection.ts'); // loaded here: `milk --help` stays fast
    const client = await connectClient(loaded);
    try {
      const description = await client.workflow.getHandle(buildWorkflowId(loaded)).describe().catch(() => undefined);
      running = description?.status.name === 'RUNNING';
    } finally {
      await client.connection.close();
    }
  } catch (err) {
    if (force) return;
    throw new Error(`cannot tell whether a build of ${loaded.config.dataset} runs (${(err as Error).message}); start Temporal, or pass --force if none does`);
  }
  if (running) throw new Error(`a build of ${loaded.config.dataset} is running (workflow ${buildWorkflowId(loaded)}): run milk gc when it has finished`);
}
