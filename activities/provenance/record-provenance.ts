import { Context } from '@temporalio/activity';
import { ProvenanceDraft, ProvenanceShard, type EventContext, type ProvenanceEvent } from '../../schemas/provenance.ts';
import type { ActivityDeps } from '../deps.ts';
import { codeVersion } from './code-version.ts';
import { PROVENANCE_TABLE, readProvenance } from './provenance-table.ts';

const recordedBy = new WeakSet<Context>();

export interface RecordOptions {
  /**
   * Drop events that say what the entity's latest recorded event of the same step already says: for
   * steps that recompute everything on every build (parse, assemble), so a no-change rebuild adds nothing.
   */
  onlyChanges?: boolean;
}

/**
 * Appends the events of the running activity execution to the private `provenance` table, adding
 * which code, config, workflow, run, activity and attempt produced them. One call per execution: its
 * shard is named by run and activity id, so a retry rewrites its own shard and later builds add new
 * ones. Events hold source keys, so they go nowhere else (no payload, error or log).
 */
export async function recordProvenance(deps: ActivityDeps, partition: string, drafts: readonly ProvenanceDraft[], options: RecordOptions = {}): Promise<number> {
  const current = Context.current();
  // A second call would overwrite the first one's shard.
  if (recordedBy.has(current)) throw new Error(`activity ${current.info.activityType} records provenance twice; pass all its events in one call`);
  recordedBy.add(current);
  const context = executionContext(deps);
  const recorded = options.onlyChanges ? changesOnly(await readProvenance(deps.lake, partition), drafts, context) : drafts;
  // A retry that finds nothing to record keeps what an earlier attempt of it wrote.
  if (recorded.length === 0) return 0;
  const shard = ProvenanceShard.safeParse({ execution: context, events: recorded });
  if (!shard.success) throw new Error(`invalid provenance events: ${shard.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  await deps.lake.writeShard(PROVENANCE_TABLE, partition, `${context.runId}-${context.activityId}`, [shard.data]);
  return recorded.length;
}

/**
 * What an execution should record of a step whose results are cached: the work it did itself, and on
 * a retry everything, since an earlier attempt's work now looks cached but its events were not kept.
 */
export function workDone<T>(all: readonly T[], computed: readonly T[]): readonly T[] {
  return Context.current().info.attempt > 1 ? all : computed;
}

function executionContext(deps: ActivityDeps): EventContext {
  const info = Context.current().info;
  if (!info.workflowExecution) throw new Error(`activity ${info.activityType} runs outside a workflow, so it has no provenance to record`);
  return {
    codeVersion: codeVersion(),
    configHash: deps.loaded.hash,
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    activityId: info.activityId,
    attempt: info.attempt,
    time: new Date().toISOString(),
  };
}

/**
 * The drafts that say something new about their entity: whose content differs from the latest event of
 * the same step and entity recorded by another execution (an earlier attempt of this one is ignored,
 * since the shard being written replaces it).
 */
export function changesOnly(recorded: readonly ProvenanceEvent[], drafts: readonly ProvenanceDraft[], execution: Pick<EventContext, 'runId' | 'activityId'>): ProvenanceDraft[] {
  const latest = new Map<string, { time: string; content: string }>();
  for (const event of recorded) {
    if (event.runId === execution.runId && event.activityId === execution.activityId) continue;
    const seen = latest.get(subject(event));
    if (!seen || seen.time <= event.time) latest.set(subject(event), { time: event.time, content: content(event) });
  }
  return drafts.filter((draft) => latest.get(subject(draft))?.content !== content(draft));
}

const subject = (event: ProvenanceDraft) => `${event.activity}\u0000${event.entity.kind}\u0000${event.entity.id}`;
/** Entity, inputs, outputs and detail in schema order, without the execution context. */
const content = (event: ProvenanceDraft) => JSON.stringify(ProvenanceDraft.parse(event));
