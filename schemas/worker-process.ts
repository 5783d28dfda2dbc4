import { z } from 'zod';
import { WORKER_QUEUES, type WorkerQueue } from './temporal-config.ts';

const isQueue = (name: string): name is WorkerQueue => (WORKER_QUEUES as readonly string[]).includes(name);

const queueList = z.string().transform((text, ctx) => {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isQueue(n));
  if (unknown.length > 0 || names.length === 0) {
    ctx.addIssue({ code: 'custom', message: `${unknown.length > 0 ? `unknown queue ${unknown.join(', ')}` : 'no queue'}: expected a comma list of ${WORKER_QUEUES.join(', ')}` });
    return z.NEVER;
  }
  return [...new Set(names)] as WorkerQueue[];
});

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
const duration = z
  .string()
  .regex(/^\d+(ms|s|m)$/, "a duration like '30s', '500ms' or '2m'")
  .transform((text) => {
    const [, n, unit] = /^(\d+)(ms|s|m)$/.exec(text)!;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

const slots = z.coerce.number().int('a whole number').positive('at least 1');

/** The options of one `milk worker` process (per machine, so on the command line rather than in temporal.yml). */
export const WorkerProcessOptions = z.strictObject({
  config: z.string(),
  queues: queueList.optional(),
  ioSlots: slots.optional(),
  cpuSlots: slots.optional(),
  inferenceSlots: slots.optional(),
  workflowBundle: z.string().optional(),
  shutdownGrace: duration.optional(),
  healthPort: z.coerce.number().int('a port number').min(1, 'a port number').max(65_535, 'a port number').optional(),
});
export type WorkerProcessOptions = z.infer<typeof WorkerProcessOptions>;

/** Zod issues as `--option: message`, one line, as the CLI prints errors. */
export function describeOptionIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `--${String(issue.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`).join('; ');
}
