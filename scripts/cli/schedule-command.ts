import type { Client } from '@temporalio/client';
import { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { connectClient } from '../../worker/connection.ts';
import { applySchedules, listSchedules, pauseSchedule, triggerSchedule, unpauseSchedule, type AppliedSchedule, type ListedSchedule } from '../schedule/schedules.ts';

interface ConfigOption {
  config: string;
}

/** `milk schedule apply|list|trigger|pause|unpause`: the `schedules:` of temporal.yml as Temporal Schedules. */
export function scheduleCommand(): Command {
  const schedule = new Command('schedule').description('scheduled rebuilds: the schedules: of temporal.yml as Temporal Schedules (overlap policy skip)');
  const configOption = ['-c, --config <file>', 'deployment config', DEFAULT_CONFIG_FILE] as const;

  schedule
    .command('apply')
    .description("create, update or delete the dataset's schedules so Temporal holds exactly what the config declares")
    .option(...configOption)
    .option('--json', 'print one JSON array')
    .action((opts: ConfigOption & { json?: boolean }) =>
      withClient(opts.config, async (client, loaded) => {
        const applied = await applySchedules(client, loaded);
        console.log(opts.json ? JSON.stringify(applied) : describeApplied(applied, loaded));
      }),
    );

  schedule
    .command('list')
    .description("the dataset's schedules: spec, paused, next runs, recent builds and how they ended")
    .option(...configOption)
    .option('--json', 'print one JSON array')
    .action((opts: ConfigOption & { json?: boolean }) =>
      withClient(opts.config, async (client, loaded) => {
        const listed = await listSchedules(client, loaded);
        console.log(opts.json ? JSON.stringify(listed) : describeListed(listed, loaded));
      }),
    );

  schedule
    .command('trigger <id>')
    .description('run a schedule\'s build now (skipped while a build of that schedule still runs)')
    .option(...configOption)
    .action((id: string, opts: ConfigOption) =>
      withClient(opts.config, async (client, loaded) => {
        const result = await triggerSchedule(client, loaded, id);
        console.log(
          result.outcome === 'started'
            ? `Started scheduled run ${result.workflowId} (run ${result.runId}): it builds as build-${loaded.config.dataset}, or skips if a build of the dataset is already running. \`milk schedule list\` shows how it ended.`
            : `Skipped: a run started by this schedule is still running.`,
        );
      }),
    );

  schedule
    .command('pause <id>')
    .description('stop a schedule from starting builds until unpaused (`milk schedule apply` restores the paused state of the config)')
    .option(...configOption)
    .option('--note <text>', 'why, shown by `milk schedule list`')
    .action((id: string, opts: ConfigOption & { note?: string }) =>
      withClient(opts.config, async (client, loaded) => {
        await pauseSchedule(client, loaded, id, opts.note);
        console.log(`Paused ${id}.`);
      }),
    );

  schedule
    .command('unpause <id>')
    .description('let a paused schedule start builds again')
    .option(...configOption)
    .action((id: string, opts: ConfigOption) =>
      withClient(opts.config, async (client, loaded) => {
        await unpauseSchedule(client, loaded, id);
        console.log(`Unpaused ${id}.`);
      }),
    );
  return schedule;
}

async function withClient(configFile: string, work: (client: Client, loaded: LoadedConfig) => Promise<void>): Promise<void> {
  const loaded = loadConfig(configFile);
  const client = await connectClient(loaded).catch((err: Error) => {
    throw new Error(`no Temporal server answers at ${loaded.config.temporal.address} (${err.message}): start one with \`milk dev-server\` or set TEMPORAL_ADDRESS`);
  });
  try {
    await work(client, loaded);
  } finally {
    await client.connection.close();
  }
}

function describeApplied(applied: AppliedSchedule[], loaded: LoadedConfig): string {
  if (applied.length === 0) return `${loaded.file} declares no schedules, and Temporal holds none of dataset ${loaded.config.dataset}.`;
  return applied.map((a) => `${a.scheduleId}: ${a.outcome}${a.changed ? ` (${a.changed.join(', ')})` : ''}`).join('\n');
}

function describeListed(listed: ListedSchedule[], loaded: LoadedConfig): string {
  if (listed.length === 0) return `No schedules of dataset ${loaded.config.dataset} in Temporal; declare them under schedules: in ${loaded.file} and run \`milk schedule apply\`.`;
  return listed
    .map((s) => {
      const state = s.paused ? `paused${s.note ? ` (${s.note})` : ''}` : 'active';
      const lines = [`${s.scheduleId}  ${s.spec}  ${state}${s.declared ? '' : '  [no longer in the config: the next apply deletes it]'}`];
      lines.push(`  next: ${s.paused || s.nextRuns.length === 0 ? '-' : s.nextRuns.slice(0, 3).map((d) => d.toISOString()).join(', ')}`);
      for (const a of s.recentActions) lines.push(`  ${a.takenAt.toISOString()}  ${a.workflowId}  ${a.status}`);
      if (s.configHash !== loaded.hash) lines.push('  applied from another version of the config: run `milk schedule apply`');
      return lines.join('\n');
    })
    .join('\n');
}
