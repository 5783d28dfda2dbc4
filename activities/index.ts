import { assembleActivities } from './assemble/activity.ts';
import { conceptActivities } from './concepts/activity.ts';
import { deidentifyActivities } from './deidentify/activity.ts';
import type { ActivityDeps } from './deps.ts';
import { failingFast } from './fail-fast.ts';
import { keptAlive } from './keep-alive.ts';
import { parseActivities } from './parse/activity.ts';
import { planActivities } from './plan/activity.ts';
import { qcActivities } from './qc/activity.ts';
import { releaseActivities } from './release/activity.ts';
import { retrieveActivities } from './retrieve/activity.ts';
import { splitActivities } from './split/activity.ts';

/**
 * Every activity of the pipeline, closed over the worker's dependencies, grouped by the task queue
 * that runs it: a worker registers only its queue's group, and each workflow proxy is typed with one
 * group, so an activity called on the wrong queue fails to compile rather than at run time.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    /** storage, the lake and the single writers */
    io: failingFast({
      ...planActivities(deps),
      ...retrieveActivities(deps),
      ...keptAlive(parseActivities(deps)),
      ...keptAlive(assembleActivities(deps)),
      ...keptAlive(splitActivities(deps)),
      ...keptAlive(qcActivities(deps)),
      ...keptAlive(releaseActivities(deps)),
    }),
    /** image de-identification and QC measurement: every core of the machine */
    cpu: failingFast(deidentifyActivities(deps)),
    /** the concept model: where the accelerator is */
    inference: failingFast(conceptActivities(deps)),
  };
}
export type ActivityGroups = ReturnType<typeof createActivities>;
export type IoActivities = ActivityGroups['io'];
export type CpuActivities = ActivityGroups['cpu'];
export type InferenceActivities = ActivityGroups['inference'];
