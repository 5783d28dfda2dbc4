import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ActivityDeps } from '../../activities/deps.ts';
import { readProvenance } from '../../activities/storage/provenance/provenance-table.ts';
import { tables } from '../../activities/storage/tables.ts';
import { loadConfig, type LoadedConfig } from '../../schemas/config.ts';
import { runBuild } from '../../scripts/run-build.ts';
import { buildFixture } from '../helpers/build-fixture.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');

/** What must not depend on crashes: the release's content and history, the counts, and provenance of every released image. */
async function outcome(loaded: LoadedConfig, summary: Awaited<ReturnType<typeof runBuild>>['summary']) {
  const deps = new ActivityDeps(loaded);
  const events = await readProvenance(deps.lake);
  const steps = new Map<string, Set<string>>();
  for (const e of events) steps.set(e.activity, (steps.get(e.activity) ?? new Set()).add(e.entity.id));
  const released = (await deps.lake.readPartitions(tables.images, loaded.config.centres.map((c) => c.id))).map((p) => p.sourceSha256);
  return {
    contentHash: summary.release.contentHash,
    changes: readFileSync(path.join(loaded.storageRoot, 'release', 'CHANGES.md'), 'utf8').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>'),
    retrieve: summary.centres.map((c) => ({ centre: c.centre, new: c.retrieve.new, changed: c.retrieve.changed, unchanged: c.retrieve.unchanged, deleted: c.retrieve.deleted, excluded: c.retrieve.excluded })),
    split: { benchmark: summary.split.benchmark, train: summary.split.train, newlyAssigned: summary.split.newlyAssigned },
    exclusions: summary.release.exclusionsByReason,
    imagesWithoutDeidentifyEvent: released.filter((sha) => !steps.get('deidentify')?.has(sha)).length,
    stepsRecorded: [...steps.keys()].sort(),
  };
}

/** The activity types running right now in the build and its children, from DescribeWorkflowExecution (running activities are not in the history yet). */
async function runningActivities(client: Client, ids: readonly string[]): Promise<string[]> {
  const running: string[] = [];
  for (const id of ids) {
    const description = await client.workflow.getHandle(id).describe().catch(() => undefined);
    for (const p of description?.raw.pendingActivities ?? []) if (p.lastStartedTime && p.activityType?.name) running.push(p.activityType.name);
  }
  return running;
}

describe('kill -9 of the worker in every kind of activity', () => {
  it('gives the release, CHANGES.md, counts and provenance of an undisturbed build', async () => {
    process.env.MILK_ID_KEY = 'the worker-kills test id key, thirty-two characters or more';
    const fixture = await buildFixture('kills', { seed: 53, lesions: 40 });
    const raw = parseYaml(readFileSync(fixture.loaded.file, 'utf8'));
    raw.ingest = { ...raw.ingest, batchSize: 8 };
    raw.concepts = { ...raw.concepts, batchSize: 16 };
    writeFileSync(fixture.loaded.file, toYaml(raw));
    const undisturbedConfig = fixture.reload();
    const undisturbed = await outcome(undisturbedConfig, (await runBuild(undisturbedConfig, { embeddedWorker: true })).summary);

    raw.dataset = `${raw.dataset}-killed`;
    for (const queue of Object.values(raw.temporal.taskQueues) as { name: string }[]) queue.name = `${queue.name}-killed`;
    raw.temporal.heartbeatTimeoutSeconds = 3;
    raw.storage = { root: path.join(fixture.dir, 'killed-data') };
    const file = path.join(fixture.dir, 'killed.yml');
    writeFileSync(file, toYaml(raw));
    const loaded = loadConfig(file);
    const bundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'milk-bundle-')), 'workflows.js');
    expect(spawnSync(process.execPath, [MILK, 'worker', 'bundle', '--out', bundle], { stdio: 'ignore' }).status).toBe(0);
    const startWorker = (): ChildProcess =>
      spawn(process.execPath, [MILK, 'worker', '--config', file, '--workflow-bundle', bundle], { env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress() }, stdio: 'ignore' });

    let worker = startWorker();
    const connection = await Connection.connect({ address: temporalAddress() });
    const client = new Client({ connection });
    const killed: string[] = [];
    let done = false;
    let workflowId = '';
    const killer = (async () => {
      while (!done) {
        if (workflowId) {
          const ids = [workflowId, ...loaded.config.centres.map((c) => `${workflowId}/ingest-${c.id}`)];
          const victim = (await runningActivities(client, ids)).find((type) => !killed.includes(type));
          if (victim) {
            worker.kill('SIGKILL');
            killed.push(victim);
            worker = startWorker();
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const run = await runBuild(loaded, { embeddedWorker: false, onStart: (id) => void (workflowId = id) });
      done = true;
      await killer;
      console.info(`worker killed in: ${killed.join(', ')}`);
      expect(killed).toEqual(expect.arrayContaining(['retrieveCentre', 'processImageBatch', 'inferConceptBatch', 'writeRelease']));
      expect(await outcome(loaded, run.summary)).toEqual(undisturbed);
      expect(undisturbed.imagesWithoutDeidentifyEvent).toBe(0);
    } finally {
      done = true;
      worker.kill('SIGTERM');
      await connection.close();
    }
  }, 400_000);
});
