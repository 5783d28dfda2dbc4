import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { CpuActivities, InferenceActivities, IoActivities } from '../activities/index.ts';

export interface TaskQueues {
  io: string;
  cpu: string;
  inference: string;
  /** how long an activity may go without a heartbeat before Temporal retries it (default 60) */
  heartbeatTimeoutSeconds?: number;
  /** attempts per activity and the longest wait between them (defaults: 5, 30 s, what builds started before these existed had) */
  retry?: { maximumAttempts: number; maximumIntervalSeconds: number };
}

/** One activity proxy per task queue, each with the timeouts its kind of work needs and typed with that queue's activities only. */
export function activityProxies(queues: TaskQueues) {
  const heartbeatTimeout = `${queues.heartbeatTimeoutSeconds ?? 60}s`;
  // Environmental failures (a full or unwritable store, a 5xx storm) pass: wait them out with a capped
  // backoff. Errors no retry can fix are non-retryable and fail at once.
  const retry: ActivityOptions['retry'] = {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: `${queues.retry?.maximumIntervalSeconds ?? 30}s`,
    maximumAttempts: queues.retry?.maximumAttempts ?? 5,
  };
  return {
    io: proxyActivities<IoActivities>({ taskQueue: queues.io, startToCloseTimeout: '15m', heartbeatTimeout, retry }),
    cpu: proxyActivities<CpuActivities>({ taskQueue: queues.cpu, startToCloseTimeout: '10m', heartbeatTimeout, retry }),
    inference: proxyActivities<InferenceActivities>({ taskQueue: queues.inference, startToCloseTimeout: '10m', heartbeatTimeout, retry }),
  };
}
