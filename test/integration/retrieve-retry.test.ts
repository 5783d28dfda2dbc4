import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { ActivityDeps } from '../../activities/deps.ts';
import { retrieveActivities } from '../../activities/retrieve/activity.ts';
import { tables } from '../../activities/storage/tables.ts';
import type { RetrieveResult } from '../../schemas/payloads.ts';
import { buildFixture } from '../helpers/build-fixture.ts';

/** A retrieval killed after it wrote its inventory, and retried: the retry must not read that inventory as the previous build's. */
describe('a retried retrieval', () => {
  it('reports and records the same changes as the attempt that was killed, and the next build sees them as unchanged', async () => {
    const fixture = await buildFixture('retrieve-retry', { seed: 31, lesions: 6 });
    const deps = new ActivityDeps(fixture.loaded);
    const centre = fixture.loaded.config.centres[0]!.id;
    const retrieve = (runId: string, attempt: number) =>
      new MockActivityEnvironment({ workflowExecution: { workflowId: `build/ingest-${centre}`, runId }, activityId: 'retrieve', attempt, heartbeatDetails: attempt > 1 ? { staged: 3 } : undefined })
        .run(retrieveActivities(deps).retrieveCentre, { centre }) as Promise<RetrieveResult>;
    const counts = (r: RetrieveResult) => ({ new: r.new, changed: r.changed, unchanged: r.unchanged, deleted: r.deleted });

    const killed = await retrieve('run-1', 1); // ran to its end, but its completion never reached Temporal
    const changes = await deps.lake.read(tables.changes, centre);
    const retried = await retrieve('run-1', 2);
    expect(killed.new).toBe(killed.objects);
    expect(counts(retried)).toEqual(counts(killed));
    expect(await deps.lake.read(tables.changes, centre)).toEqual(changes);

    const next = await retrieve('run-2', 1);
    expect(counts(next)).toEqual({ new: 0, changed: 0, unchanged: killed.objects, deleted: 0 });
  });
});
