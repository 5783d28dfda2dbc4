import { CancelledFailure, Context } from '@temporalio/activity';

type ActivityFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * When a worker shuts down, Temporal cancels the activities still running after the grace time, but
 * an attempt only ends when its function settles, and the pipeline's activities do not watch for
 * cancellation (they are long, CPU-bound or inside DuckDB), so the shutdown would wait for them.
 * Each activity here races a worker-shutdown cancellation: the attempt fails at once and Temporal
 * retries it on another worker. The abandoned work ends with the process; its writes are atomic and
 * a retry rewrites them identically. Other cancellations (heartbeat timeout, a cancelled workflow)
 * still wait for the work, as before, so a live worker never runs more than its slots.
 */
export function failFastOnShutdown<T extends ActivityFunctions>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        const context = Context.current();
        const work = activity(...args);
        const shutdown = context.cancelled.catch((err: unknown) => {
          // The SDK names the reason in the message, and sets the details only when the server's core cancels.
          if (context.cancellationDetails?.workerShutdown || (err instanceof CancelledFailure && err.message === 'WORKER_SHUTDOWN')) throw err;
          return work;
        });
        // Whichever loses the race has no one to report to: keep its rejection from crashing the process.
        work.catch(() => {});
        shutdown.catch(() => {});
        return await Promise.race([work, shutdown]);
      },
    ]),
  ) as T;
}
