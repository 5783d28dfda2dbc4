import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ActivityDeps } from '../activities/deps.ts';
import { createActivities } from '../activities/index.ts';
import type { LoadedConfig } from '../schemas/config.ts';
import { dataConverterFromEnvironment } from './payload-codec.ts';

const WORKFLOWS = path.resolve(import.meta.dirname, '..', 'workflows', 'index.ts');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle is built once per process; every worker of the process shares it. */
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: quietBundlerLogger });
  return bundle;
}

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

export interface RunningWorker {
  /** resolves when every queue's worker has stopped */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The embedded worker: one process polling the workflow queue and the io, cpu and inference
 * activity queues, each with the concurrency temporal.yml gives it.
 */
export async function startWorker(loaded: LoadedConfig): Promise<RunningWorker> {
  installQuietRuntime();
  const dataConverter = dataConverterFromEnvironment(); // before connecting, so a bad key fails fast
  const { temporal } = loaded.config;
  const connection = await NativeConnection.connect({ address: temporal.address });
  const activities = createActivities(new ActivityDeps(loaded));
  const queues = temporal.taskQueues;
  const workers = await Promise.all([
    Worker.create({
      connection,
      namespace: temporal.namespace,
      taskQueue: queues.workflow.name,
      workflowBundle: await workflowBundle(),
      dataConverter,
      maxConcurrentWorkflowTaskExecutions: 10,
    }),
    ...(['io', 'cpu', 'inference'] as const).map((queue) =>
      Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue: queues[queue].name,
        activities,
        dataConverter,
        maxConcurrentActivityTaskExecutions: queues[queue].maxConcurrentActivities,
      }),
    ),
  ]);
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await connection.close();
  });
  return {
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}

let runtimeInstalled = false;
/**
 * Worker state changes are INFO noise for a CLI user, and each single-purpose queue worker warns
 * that it has no workflows (or no activities) by design; other warnings and errors reach stderr.
 */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = process.env.MILK_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN';
  const byDesign = /^No (activities|workflows) registered/;
  const stderr = new DefaultLogger(level);
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      if (!byDesign.test(entry.message)) stderr.log(entry.level, entry.message, entry.meta);
    }),
  });
}
