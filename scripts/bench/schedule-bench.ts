import type { LoadedConfig } from '../../schemas/config.ts';
import { connectClient } from '../../worker/connection.ts';
import { startWorker } from '../../worker/worker.ts';
import type { ScheduledBuildResult } from '../../workflows/scheduled-build.ts';
import { scheduleIdOf } from '../schedule/schedule-spec.ts';
import { applySchedules, triggerSchedule } from '../schedule/schedules.ts';

/**
 * Times a scheduled rebuild with no change at the centres, the way production runs it: a Temporal
 * Schedule (declared for the bench only, removed afterwards) triggered now, with a worker serving it.
 */
export async function benchScheduledRebuild(loaded: LoadedConfig): Promise<{ ms: number; reused: boolean; version: string }> {
  const bench: LoadedConfig = { ...loaded, config: { ...loaded.config, schedules: [{ id: 'bench', cron: '0 0 1 1 *', paused: false }] } };
  const client = await connectClient(bench);
  const worker = await startWorker(bench);
  try {
    await applySchedules(client, bench);
    const started = Date.now();
    const run = await triggerSchedule(client, bench, 'bench');
    if (run.outcome !== 'started') throw new Error('the bench schedule skipped its run: is another build of this dataset running?');
    const result: ScheduledBuildResult = await client.workflow.getHandle(run.workflowId, run.runId).result();
    if (result.outcome !== 'built') throw new Error(`the scheduled run did not build: ${result.reason}`);
    return { ms: Date.now() - started, reused: result.summary.release.reused, version: result.summary.release.version };
  } finally {
    await client.schedule.getHandle(scheduleIdOf(bench, 'bench')).delete().catch(() => {});
    await worker.shutdown();
    await client.connection.close();
  }
}
