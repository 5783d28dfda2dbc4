import { describe, expect, it } from 'vitest';
import { ActivityDeps } from '../../activities/deps.ts';
import { createActivities } from '../../activities/index.ts';
import type { activityProxies } from '../../workflows/activity-options.ts';
import { repoConfig } from '../helpers/config.ts';

/**
 * The compile-time half: `npm run typecheck` fails when a proxy accepts another queue's activity,
 * because each `@ts-expect-error` below would then have no error to expect. Never called.
 */
export function wrongQueueDoesNotCompile(proxies: ReturnType<typeof activityProxies>): void {
  // @ts-expect-error processImageBatch runs on the cpu queue
  void proxies.io.processImageBatch;
  // @ts-expect-error inferConceptBatch runs on the inference queue
  void proxies.io.inferConceptBatch;
  // @ts-expect-error planBuild runs on the io queue
  void proxies.cpu.planBuild;
  // @ts-expect-error processImageBatch runs on the cpu queue
  void proxies.inference.processImageBatch;
  // the right queue compiles
  void proxies.io.writeRelease;
  void proxies.cpu.processImageBatch;
  void proxies.inference.inferConceptBatch;
}

describe('createActivities', () => {
  it('groups every activity by the task queue that runs it, each activity in one group', () => {
    const groups = createActivities(new ActivityDeps(repoConfig()));
    expect(Object.keys(groups).sort()).toEqual(['cpu', 'inference', 'io']);
    expect(Object.keys(groups.cpu)).toEqual(['processImageBatch']);
    expect(Object.keys(groups.inference)).toEqual(['inferConceptBatch']);
    expect(Object.keys(groups.io)).toEqual(expect.arrayContaining(['planBuild', 'retrieveCentre', 'parseCentre', 'assembleCases', 'assignBenchmarkSplit', 'writeQcReport', 'writeRelease']));
    const names = Object.values(groups).flatMap((group) => Object.keys(group));
    expect(new Set(names).size).toBe(names.length);
  });
});
