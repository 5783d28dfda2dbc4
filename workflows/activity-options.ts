import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

export interface TaskQueues {
  io: string;
  cpu: string;
  inference: string;
}

const retry: ActivityOptions['retry'] = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 };

/** One activity proxy per task queue, each with the timeouts its kind of work needs. */
export function activityProxies(queues: TaskQueues) {
  return {
    io: proxyActivities<Activities>({ taskQueue: queues.io, startToCloseTimeout: '15m', heartbeatTimeout: '1m', retry }),
    cpu: proxyActivities<Activities>({ taskQueue: queues.cpu, startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry }),
    inference: proxyActivities<Activities>({ taskQueue: queues.inference, startToCloseTimeout: '10m', heartbeatTimeout: '2m', retry }),
  };
}
