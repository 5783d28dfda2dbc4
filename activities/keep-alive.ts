import { Context } from '@temporalio/activity';
import type { ActivityStep } from '../schemas/payloads.ts';

const EVERY_MS = 5_000;

/** The step each running activity last reported, sent with every heartbeat it makes. */
const steps = new WeakMap<Context, ActivityStep>();

/**
 * Single-writer activities work through the whole build in one go (at 60,000 images the release takes
 * minutes) and have no natural progress point to report, so they heartbeat on a timer while they run:
 * a live worker is never timed out, and a crashed one stops the timer, so Temporal still retries it
 * after the heartbeat timeout. Each heartbeat carries the step last given to reportStep, which
 * `milk build` shows. Not for activities whose heartbeats carry resume details (retrieve).
 */
export function keptAlive<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        const context = Context.current();
        const timer = setInterval(() => context.heartbeat(steps.get(context)), EVERY_MS);
        try {
          return await activity(...args);
        } finally {
          clearInterval(timer);
          steps.delete(context);
        }
      },
    ]),
  ) as T;
}

/**
 * Records where the running kept-alive activity is and heartbeats it at once (the SDK throttles
 * heartbeats, so calling this per item is cheap). Step names and counts only: never source values.
 */
export function reportStep(step: ActivityStep): void {
  const context = Context.current();
  steps.set(context, step);
  context.heartbeat(step);
}
