/**
 * Runs `run(i)` for i in [start, count) with at most `window` in flight (the batch-sliding-window
 * pattern). When `stopLaunching()` turns true it launches nothing more, drains what is in flight, and
 * returns the next index to run, so the caller can continue-as-new from there.
 */
export async function slidingWindow(
  start: number,
  count: number,
  window: number,
  run: (i: number) => Promise<void>,
  stopLaunching: () => boolean = () => false,
): Promise<number> {
  let next = start;
  const inFlight = new Set<Promise<void>>();
  while (next < count || inFlight.size > 0) {
    while (next < count && inFlight.size < window && !stopLaunching()) {
      const task: Promise<void> = run(next++).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
  return next;
}
