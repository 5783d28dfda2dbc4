import { describe, expect, it } from 'vitest';
import { describeOptionIssues, WorkerProcessOptions } from '../../schemas/worker-process.ts';

const parse = (opts: Record<string, unknown>) => WorkerProcessOptions.safeParse({ config: 'temporal.yml', ...opts });
const error = (opts: Record<string, unknown>) => {
  const result = parse(opts);
  if (result.success) throw new Error('parsed');
  return describeOptionIssues(result.error);
};

describe('milk worker options', () => {
  it('takes any subset of the queues, in the fixed order of work, and per-queue slots', () => {
    expect(parse({ queues: 'cpu' }).data?.queues).toEqual(['cpu']);
    expect(parse({ queues: 'workflow, io,io' }).data?.queues).toEqual(['workflow', 'io']);
    expect(parse({}).data?.queues).toBeUndefined(); // all four, startWorker's default
    expect(parse({ ioSlots: '8', cpuSlots: '2' }).data).toMatchObject({ ioSlots: 8, cpuSlots: 2 });
  });

  it('reads the shutdown grace as a duration', () => {
    expect(parse({ shutdownGrace: '30s' }).data?.shutdownGrace).toBe(30_000);
    expect(parse({ shutdownGrace: '500ms' }).data?.shutdownGrace).toBe(500);
    expect(parse({ shutdownGrace: '2m' }).data?.shutdownGrace).toBe(120_000);
  });

  it('names the option of every bad value in one line', () => {
    expect(error({ queues: 'cpu,gpu' })).toBe('--queues: unknown queue gpu: expected a comma list of workflow, io, cpu, inference');
    expect(error({ queues: ',' })).toBe('--queues: no queue: expected a comma list of workflow, io, cpu, inference');
    expect(error({ cpuSlots: '0' })).toBe('--cpu-slots: at least 1');
    expect(error({ shutdownGrace: '30' })).toBe("--shutdown-grace: a duration like '30s', '500ms' or '2m'");
    expect(error({ healthPort: 'http' })).toMatch(/^--health-port: /);
  });
});
