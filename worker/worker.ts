import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type State, type WorkflowBundleOption } from '@temporalio/worker';
import { ActivityDeps } from '../activities/deps.ts';
import { createActivities } from '../activities/index.ts';
import type { LoadedConfig } from '../schemas/config.ts';
import { WORKER_QUEUES, type ActivityQueue, type WorkerQueue } from '../schemas/temporal-config.ts';
import { connectionOptions } from './connection.ts';
import { redactActivityErrors } from './redact-activity-errors.ts';
import { failFastOnShutdown } from './fail-fast-on-shutdown.ts';
import { dataConverterFromEnvironment } from './payload-codec.ts';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '..', 'workflows', 'index.ts');
/** How long running activities may take to finish once a shutdown begins, before they are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
/** How often, at most, an activity's heartbeats reach the server. */
export const HEARTBEAT_THROTTLE = '2s';

const quietBundlerLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string, meta?: Record<string, unknown>) {
    console.warn(message, meta ?? '');
  },
  error(message: string, meta?: Record<string, unknown>) {
    console.error(message, meta ?? '');
  },
};

/** Bundles the workflows as `Worker.create` would: what `milk worker bundle` writes, so a production worker skips it at start. */
export async function bundleWorkflows(): Promise<string> {
  return (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger })).code;
}

let inProcessBundle: Promise<{ code: string }> | undefined;
/** Without a prebuilt bundle, the workflows are bundled once per process; every worker of the process shares it. */
function workflowBundle(codePath: string | undefined): Promise<WorkflowBundleOption> {
  if (codePath) return Promise.resolve({ codePath });
  inProcessBundle ??= bundleWorkflows().then((code) => ({ code }));
  return inProcessBundle;
}

export interface WorkerOptions {
  /** the task queues this process polls; all four by default */
  queues?: readonly WorkerQueue[];
  /** concurrent activities per activity queue, instead of temporal.yml's maxConcurrentActivities */
  slots?: Partial<Record<ActivityQueue, number>>;
  /** a bundle `milk worker bundle` wrote; without it the workflows are bundled at start */
  workflowBundle?: string;
  /** after a shutdown begins, how long running activities may take before they are cancelled */
  shutdownGraceMs?: number;
}

export interface RunningWorker {
  queues: readonly WorkerQueue[];
  /** each polled queue's Worker state; RUNNING while it polls */
  states(): Partial<Record<WorkerQueue, State>>;
  /** resolves when every queue's worker has stopped (rejects with the first failure) */
  done: Promise<void>;
  /** stops polling, lets running activities finish within the grace time, then waits for `done` */
  shutdown(): Promise<void>;
}

/**
 * One process polling some or all of the task queues on one connection: the workflow queue, and
 * each activity queue with its own group of activities and the concurrency temporal.yml (or
 * `options.slots`) gives it. A process with only `cpu` registers only the cpu group, so it can be
 * deployed on its own machines.
 */
export async function startWorker(loaded: LoadedConfig, options: WorkerOptions = {}): Promise<RunningWorker> {
  installQuietRuntime();
  const queues = WORKER_QUEUES.filter((q) => (options.queues ?? WORKER_QUEUES).includes(q));
  if (queues.length === 0) throw new Error('a worker needs at least one task queue');
  const dataConverter = dataConverterFromEnvironment(); // before connecting, so a bad key fails fast
  const { temporal } = loaded.config;
  const shutdownGraceTime = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const bundle = queues.includes('workflow') ? await workflowBundle(options.workflowBundle) : undefined;
  const connection = await NativeConnection.connect(connectionOptions(loaded));
  const groups = queues.some((q) => q !== 'workflow') ? createActivities(new ActivityDeps(loaded)) : undefined;
  let workers: Worker[];
  try {
    workers = await Promise.all(
      queues.map((queue) =>
        queue === 'workflow'
          ? Worker.create({
              connection,
              namespace: temporal.namespace,
              taskQueue: temporal.taskQueues.workflow.name,
              workflowBundle: bundle,
              dataConverter,
              shutdownGraceTime,
              maxConcurrentWorkflowTaskExecutions: 10,
            })
          : Worker.create({
              connection,
              namespace: temporal.namespace,
              taskQueue: temporal.taskQueues[queue].name,
              activities: failFastOnShutdown(groups![queue]),
              interceptors: { activity: [redactActivityErrors] },
              dataConverter,
              shutdownGraceTime,
              maxConcurrentActivityTaskExecutions: options.slots?.[queue] ?? temporal.taskQueues[queue].maxConcurrentActivities,
              // heartbeats carry the release writer's step (what `milk build` shows); the default
              // throttle (80% of the heartbeat timeout) would let the server hear of it every 48 s
              maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
            }),
      ),
    );
  } catch (err) {
    await connection.close();
    throw err;
  }
  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  // One queue's worker failing stops the others, so the process ends rather than half-serving.
  const runs = workers.map(async (w) => {
    try {
      await w.run();
    } catch (err) {
      stopAll();
      throw err;
    }
  });
  const done = Promise.allSettled(runs).then(async (results) => {
    await connection.close();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  return {
    queues,
    states: () => Object.fromEntries(queues.map((q, i) => [q, workers[i]!.getState()])),
    done,
    async shutdown() {
      stopAll();
      await done;
    },
  };
}

/** An error's message and its causes', on one line. */
function causeChain(err: Error): string {
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) if (e.message) messages.push(e.message);
  return messages.join(': ').replace(/\s*\n\s*/g, '; ');
}

let runtimeInstalled = false;
/** While the server is away, the worker's core retries every poll and completion and warns each time: one such warning a minute is enough. */
const NETWORK_WARNING_INTERVAL_MS = 60_000;

/**
 * Worker state changes are INFO noise for a CLI user, and each single-purpose queue worker warns
 * that it has no workflows (or no activities) by design; a failed activity attempt or workflow is one
 * line (activity and attempt or workflow, then the messages of the error and its causes: redacted
 * already); other warnings and errors reach stderr,
 * except that the core's network retry warnings (several a second during a server outage, which
 * the worker waits out by itself: it keeps polling and resumes when the server is back) are cut to
 * one a minute.
 */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = process.env.MILK_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN';
  const byDesign = /^No (activities|workflows) registered/;
  const network = /^(gRPC call \w+ retried \d+ times|Network error while |Error when recording heartbeat: Status \{ code: Unavailable)/;
  let lastNetworkWarning = -Infinity;
  const stderr = new DefaultLogger(level);
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (byDesign.test(entry.message)) return;
      if (level !== 'DEBUG' && network.test(entry.message)) {
        const now = Date.now();
        if (now - lastNetworkWarning < NETWORK_WARNING_INTERVAL_MS) return;
        lastNetworkWarning = now;
        stderr.log(entry.level, `${entry.message} (the Temporal server is unreachable, the worker keeps retrying; more such warnings within a minute are not shown)`, entry.meta);
        return;
      }
      // a failed attempt or workflow in one line: the stack is the SDK's and ours, not the reader's (MILK_LOG_LEVEL=debug shows it)
      const error = entry.meta?.error;
      if (level !== 'DEBUG' && error instanceof Error && (entry.message === 'Activity failed' || entry.message === 'Workflow failed')) {
        const what = entry.message === 'Activity failed' ? `Activity ${String(entry.meta?.activityType)} failed on attempt ${String(entry.meta?.attempt)}` : `Workflow ${String(entry.meta?.workflowId)} failed`;
        stderr.log(entry.level, `${what}: ${causeChain(error)}`);
        return;
      }
      stderr.log(entry.level, entry.message, entry.meta);
    }),
    // the core's own messages go through the logger above too, rather than straight to stderr
    telemetryOptions: { logging: { forward: {}, filter: { core: level, other: 'ERROR' } } },
  });
}
