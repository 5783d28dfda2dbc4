/**
 * Runs `run(i)` for i in [start, count) with at most `window` in flight (the batch-sliding-window
 * pattern). When `stopLaunching()` turns true it launches nothing more, drains what is in flight, and
 * returns the next index to run, so the caller can continue-as-new from there. The first failure
 * stops launching; the rest in flight settle, then that failure is thrown.
 */
export async function slidingWindow(
  start: number,
  count: number,
  window: number,
  run: (i: number) => Promise<void>,
  stopLaunching: () => boolean = () => false,
): Promise<number> {
  let next = start;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  while (next < count || inFlight.size > 0) {
    while (!failure && next < count && inFlight.size < window && !stopLaunching()) {
      const task: Promise<void> = run(next++)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  if (failure) throw failure.error;
  return next;
}
