import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import proto from '@temporalio/proto';
import { loadConfig } from '../schemas/config.ts';
import { connectClient } from '../worker/connection.ts';
import { freePort, startDevServer } from './dev-server.ts';
import { buildStartOptions, buildWorkflowId } from './build-start.ts';
import { runBuild } from './run-build.ts';
import { scheduledBuild } from '../workflows/index.ts';
import { startWorker } from '../worker/worker.ts';
import { synthesise } from './synth/synth.ts';

/**
 * Records the histories of a small build (the parent, one centre's child, and a scheduled run) as replay fixtures for
 * test/integration/replay.test.ts. Run it after an intended workflow change: `npx tsx scripts/record-histories.ts`.
 * The synthetic drops carry no real data, and payloads carry no PHI by design.
 */
const out = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'histories');
const work = path.join('/tmp', `milk-record-${process.pid}`);
const server = await startDevServer({ dbFile: path.join(work, 'temporal.sqlite'), port: await freePort(), uiPort: await freePort() });
try {
  process.env.TEMPORAL_ADDRESS = server.address;
  const synth = await synthesise({ config: path.resolve(import.meta.dirname, '..', 'temporal.yml'), out: path.join(work, 'drops'), seed: 3, lesions: 6 });
  const loaded = loadConfig(synth.config);
  const run = await runBuild(loaded, { embeddedWorker: true });
  const client = await connectClient(loaded);
  // A scheduled run, as a Temporal Schedule would start it (the schedule itself adds nothing to the history).
  const worker = await startWorker(loaded);
  const scheduled = `${run.workflowId}-scheduled`;
  const start = buildStartOptions(loaded);
  await client.workflow.execute(scheduledBuild, { workflowId: scheduled, taskQueue: start.taskQueue, args: [{ ...start.args[0], buildWorkflowId: buildWorkflowId(loaded) }] }).finally(() => worker.shutdown());
  await mkdir(out, { recursive: true });
  for (const [name, id] of [['build-release', run.workflowId], ['ingest-centre', `${run.workflowId}/ingest-${loaded.config.centres[0]!.id}`], ['scheduled-build', scheduled]]) {
    const history = await client.workflow.getHandle(id!).fetchHistory();
    // Binary protobuf: the exact form Temporal stores, with no JSON mapping to drift.
    await writeFile(path.join(out, `${name}.pb`), proto.temporal.api.history.v1.History.encode(history).finish());
  }
  await client.connection.close();
  console.log(`recorded histories of ${run.workflowId} into ${out}`);
} finally {
  await server.stop();
}
