import { Context } from '@temporalio/activity';

const EVERY_MS = 5_000;

/**
 * Single-writer activities work through the whole build in one go (at 60,000 images the release takes
 * minutes) and have no natural progress point to report, so they heartbeat on a timer while they run:
 * a live worker is never timed out, and a crashed one stops the timer, so Temporal still retries it
 * after the heartbeat timeout. Not for activities whose heartbeats carry resume details (retrieve).
 */
export function keptAlive<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        const context = Context.current();
        const timer = setInterval(() => context.heartbeat(), EVERY_MS);
        try {
          return await activity(...args);
        } finally {
          clearInterval(timer);
        }
      },
    ]),
  ) as T;
}
