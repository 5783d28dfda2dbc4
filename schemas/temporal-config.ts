import { z } from 'zod';

/** The task queues a worker process can poll: workflows, and the three activity groups. */
export const WORKER_QUEUES = ['workflow', 'io', 'cpu', 'inference'] as const;
export type WorkerQueue = (typeof WORKER_QUEUES)[number];
export type ActivityQueue = Exclude<WorkerQueue, 'workflow'>;

const TaskQueue = z.strictObject({
  name: z.string().min(1),
  maxConcurrentActivities: z.number().int().positive(),
});

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name');

/** TLS to the frontend; files are PEM, relative to the config file. `{}` is TLS with the system's roots. */
export const TemporalTls = z
  .strictObject({
    serverName: z.string().min(1).optional().describe('the name the server certificate is checked against, when it differs from the address host'),
    caFile: z.string().min(1).optional().describe('CA that signed the server certificate; the system roots when absent'),
    clientCertFile: z.string().min(1).optional().describe('client certificate for mTLS'),
    clientKeyFile: z.string().min(1).optional().describe('its private key'),
  })
  .refine((t) => (t.clientCertFile === undefined) === (t.clientKeyFile === undefined), 'set clientCertFile and clientKeyFile together');
export type TemporalTls = z.infer<typeof TemporalTls>;

export const TemporalConfig = z.strictObject({
  address: z.string().default('localhost:7233'),
  namespace: z.string().default('default'),
  uiAddress: z.string().default('http://localhost:8233'),
  taskQueues: z.strictObject({ workflow: TaskQueue, io: TaskQueue, cpu: TaskQueue, inference: TaskQueue }),
  heartbeatTimeoutSeconds: z.number().int().positive().default(60).describe('an activity silent this long is retried elsewhere (after a worker crash)'),
  retry: z
    .strictObject({
      maximumAttempts: z.number().int().positive().default(12).describe('attempts per activity, the first included'),
      maximumIntervalSeconds: z.number().int().positive().default(120).describe('the longest wait between attempts (the wait doubles from 1 s up to it)'),
    })
    .default({ maximumAttempts: 12, maximumIntervalSeconds: 120 })
    .describe('how long an activity keeps retrying a failure that may pass (storage full or unwritable, a 5xx storm, DNS): about 13 minutes by default'),
  tls: TemporalTls.optional(),
  // The key itself never lives in the config: a config is shared and committed, a key is a secret.
  apiKeyEnv: envName.optional().describe('environment variable holding an API key (Temporal Cloud); implies TLS'),
});
export type TemporalConfig = z.infer<typeof TemporalConfig>;
