import { describe, expect, it } from 'vitest';
import { slidingWindow } from '../../workflows/sliding-window.ts';

/** A run function whose calls finish only when the test says so, recording concurrency. */
function controlled() {
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const run = (i: number) =>
    new Promise<void>((resolve, reject) => {
      started.push(i);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.set(i, {
        resolve: () => {
          inFlight--;
          pending.delete(i);
          resolve();
        },
        reject: (e) => {
          inFlight--;
          pending.delete(i);
          reject(e);
        },
      });
    });
  return {
    run,
    started,
    pending,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('slidingWindow', () => {
  it('runs every index in [start, count) exactly once with at most `window` in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const runs: number[] = [];
    const next = await slidingWindow(0, 40, 3, async (i) => {
      runs.push(i);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5)); // finish out of order
      inFlight--;
    });
    expect(next).toBe(40);
    expect([...runs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBe(3); // and it does use the window
  });

  it('launches a new index as soon as any one finishes, not after the whole window', async () => {
    const c = controlled();
    const done = slidingWindow(0, 5, 2, c.run);
    await tick();
    expect(c.started).toEqual([0, 1]);
    c.pending.get(1)!.resolve(); // the later one finishes first
    await tick();
    expect(c.started).toEqual([0, 1, 2]);
    expect(c.inFlight).toBe(2);
    c.pending.get(0)!.resolve();
    await tick();
    expect(c.started).toEqual([0, 1, 2, 3]);
    for (const i of [2, 3]) c.pending.get(i)!.resolve();
    await tick();
    c.pending.get(4)!.resolve();
    expect(await done).toBe(5);
    expect(c.maxInFlight).toBe(2);
  });

  it('starts from `start` (a continued-as-new run) and returns count when done', async () => {
    const runs: number[] = [];
    expect(await slidingWindow(7, 10, 4, async (i) => void runs.push(i))).toBe(10);
    expect(runs.sort((a, b) => a - b)).toEqual([7, 8, 9]);
    expect(await slidingWindow(10, 10, 4, async () => void runs.push(-1))).toBe(10);
    expect(await slidingWindow(0, 0, 4, async () => void runs.push(-1))).toBe(0);
    expect(runs).not.toContain(-1);
  });

  it('when stopLaunching turns true, launches nothing more, drains what is in flight, and returns the next index', async () => {
    const c = controlled();
    let stop = false;
    const done = slidingWindow(0, 100, 3, c.run, () => stop);
    await tick();
    c.pending.get(0)!.resolve();
    await tick();
    expect(c.started).toEqual([0, 1, 2, 3]);
    stop = true;
    c.pending.get(1)!.resolve();
    await tick();
    expect(c.started).toEqual([0, 1, 2, 3]); // nothing new launched
    let finished = false;
    void done.then(() => (finished = true));
    await tick();
    expect(finished).toBe(false); // 2 and 3 still in flight: it waits for them
    c.pending.get(3)!.resolve();
    c.pending.get(2)!.resolve();
    expect(await done).toBe(4);
    expect(c.inFlight).toBe(0);
  });

  it('returns `start` unchanged when told to stop before launching anything', async () => {
    let calls = 0;
    expect(await slidingWindow(5, 20, 2, async () => void calls++, () => true)).toBe(5);
    expect(calls).toBe(0);
  });

  it('rejects with the error of a failing run', async () => {
    await expect(
      slidingWindow(0, 10, 2, async (i) => {
        if (i === 3) throw new Error('batch 3 failed');
      }),
    ).rejects.toThrow('batch 3 failed');
  });
});
