import { Context } from '@temporalio/activity';
import { ProvenanceDraft, ProvenanceShard, type LatestContent, type EventContext, type ProvenanceEvent } from '../../../schemas/provenance.ts';
import { sha256 } from '../files.ts';
import type { Lake } from '../lake.ts';
import { codeVersion } from './code-version.ts';
import { tables } from '../tables.ts';
import { readProvenance } from './provenance-table.ts';

const recordedBy = new WeakSet<Context>();

/** What recording provenance reads from a worker: the lake it writes to and the hash of the config it runs. */
export interface ProvenanceDeps {
  lake: Lake;
  loaded: { hash: string };
}

export interface RecordOptions {
  /**
   * Drop events that say what the entity's latest recorded event of the same step already says: for
   * steps that recompute everything on every build (parse, assemble), so a no-change rebuild adds nothing.
   */
  onlyChanges?: boolean;
  /**
   * For parallel steps whose results are cached (de-identify, concepts): the digest is one of each
   * batch (named so), and where it is missing, or on a retry, every event is recorded again rather
   * than compared with earlier events. An image a failed build processed but never recorded is then
   * recorded by the next build's cache hit; an unchanged batch records nothing.
   */
  batch?: string;
}

/**
 * Appends the events of the running activity execution to the private `provenance` table, adding
 * which code, config, workflow, run, activity and attempt produced them. One call per execution: its
 * shard is named by run and activity id, so a retry rewrites its own shard and later builds add new
 * ones. Events hold source keys, so they go nowhere else (no payload, error or log).
 */
export async function recordProvenance(deps: ProvenanceDeps, partition: string, drafts: readonly ProvenanceDraft[], options: RecordOptions = {}): Promise<number> {
  const current = Context.current();
  // A second call would overwrite the first one's shard.
  if (recordedBy.has(current)) throw new Error(`activity ${current.info.activityType} records provenance twice; pass all its events in one call`);
  recordedBy.add(current);
  const context = executionContext(deps);
  if (!options.onlyChanges) return writeEvents(deps, partition, context, drafts);
  const digest = options.batch === undefined ? current.info.activityType : `${current.info.activityType}-${options.batch}`;
  const { latest, fromEvents } = await latestContents(deps, partition, digest, drafts, context, options.batch === undefined);
  const recorded = drafts.filter((draft) => latest.get(subject(draft)) !== contentHash(draft));
  await writeEvents(deps, partition, context, recorded);
  // After the events: a crash in between leaves the digest behind, and the retry records the same events again.
  if (recorded.length > 0 || fromEvents) {
    for (const draft of recorded) latest.set(subject(draft), contentHash(draft));
    await deps.lake.writeShard(tables.provenanceLatest, partition, digest, [...latest].map(([s, content]): LatestContent => ({ subject: s, content })));
  }
  return recorded.length;
}

async function writeEvents(deps: ProvenanceDeps, partition: string, context: EventContext, events: readonly ProvenanceDraft[]): Promise<number> {
  // A retry that finds nothing to record keeps what an earlier attempt of it wrote.
  if (events.length === 0) return 0;
  const shard = ProvenanceShard.safeParse({ execution: context, events });
  if (!shard.success) throw new Error(`invalid provenance events: ${shard.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  await deps.lake.writeShard(tables.provenance, partition, `${context.runId}-${context.activityId}`, [shard.data]);
  return events.length;
}

/**
 * Per subject, the hash of the latest content an activity type recorded in a partition: kept beside
 * the events so a no-change rebuild compares against one small digest instead of reading every event
 * of every earlier build. Built from the events where it is missing, and on a retry.
 */
async function latestContents(
  deps: ProvenanceDeps,
  partition: string,
  digest: string,
  drafts: readonly ProvenanceDraft[],
  execution: Pick<EventContext, 'runId' | 'activityId'>,
  fromHistory: boolean,
): Promise<{ latest: Map<string, string>; fromEvents: boolean }> {
  // A retry rebuilds from the events without its own earlier attempt's, whose shard it is about to replace.
  if (Context.current().info.attempt === 1) {
    try {
      const rows = await deps.lake.readShard(tables.provenanceLatest, partition, digest);
      return { latest: new Map(rows.map((row) => [row.subject, row.content])), fromEvents: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (!fromHistory) return { latest: new Map(), fromEvents: true };
  // Only the steps this activity records: the partition also holds other activities' events.
  const steps = new Set(drafts.map((d) => d.activity));
  const events = (await readProvenance(deps.lake, partition)).filter((e) => steps.has(e.activity));
  return { latest: latestOf(events, execution), fromEvents: true };
}

function executionContext(deps: ProvenanceDeps): EventContext {
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
  const latest = latestOf(recorded, execution);
  return drafts.filter((draft) => latest.get(subject(draft)) !== contentHash(draft));
}

/** Per subject, the content hash of its latest event, leaving out the given execution's own (earlier attempts). */
function latestOf(recorded: readonly ProvenanceEvent[], execution: Pick<EventContext, 'runId' | 'activityId'>): Map<string, string> {
  const latest = new Map<string, { time: string; content: string }>();
  for (const event of recorded) {
    if (event.runId === execution.runId && event.activityId === execution.activityId) continue;
    const seen = latest.get(subject(event));
    if (!seen || seen.time <= event.time) latest.set(subject(event), { time: event.time, content: contentHash(event) });
  }
  return new Map([...latest].map(([s, { content }]) => [s, content]));
}

const subject = (event: ProvenanceDraft) => `${event.activity}\u0000${event.entity.kind}\u0000${event.entity.id}`;
/** Hash of entity, inputs, outputs and detail in schema order, without the execution context. */
const contentHash = (event: ProvenanceDraft) => sha256(JSON.stringify(ProvenanceDraft.parse(event)));
