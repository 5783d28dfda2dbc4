import { assembleActivities } from './assemble/activity.ts';
import { conceptActivities } from './concepts/activity.ts';
import { deidentifyActivities } from './deidentify/activity.ts';
import type { ActivityDeps } from './deps.ts';
import { keptAlive } from './keep-alive.ts';
import { parseActivities } from './parse/activity.ts';
import { planActivities } from './plan/activity.ts';
import { qcActivities } from './qc/activity.ts';
import { releaseActivities } from './release/activity.ts';
import { retrieveActivities } from './retrieve/activity.ts';
import { splitActivities } from './split/activity.ts';

/** Every activity of the pipeline, closed over the worker's dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...planActivities(deps),
    ...retrieveActivities(deps),
    ...keptAlive(parseActivities(deps)),
    ...deidentifyActivities(deps),
    ...keptAlive(assembleActivities(deps)),
    ...keptAlive(qcActivities(deps)),
    ...conceptActivities(deps),
    ...keptAlive(splitActivities(deps)),
    ...keptAlive(releaseActivities(deps)),
  };
}
export type Activities = ReturnType<typeof createActivities>;
