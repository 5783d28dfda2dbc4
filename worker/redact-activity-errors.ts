import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { redactError } from './failure-converter.ts';

/**
 * Redacts what an activity throws before the worker logs it ("Activity failed", with the error and
 * its stack) and before the failure converter sends it: the log line would otherwise carry the
 * paths and values the converter keeps out of Temporal.
 */
export const redactActivityErrors: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        redactError(err);
        throw err;
      }
    },
  },
});
