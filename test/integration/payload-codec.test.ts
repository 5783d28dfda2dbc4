import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../worker/payload-codec.ts';
import type { CodecActivities, echo } from '../fixtures/codec-workflow.ts';
import { historyText } from '../helpers/history-text.ts';
import { temporalAddress } from '../helpers/temporal.ts';

const WORKFLOWS = path.resolve(import.meta.dirname, '..', 'fixtures', 'codec-workflow.ts');
const NAMESPACE = 'default';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

function isPayload(value: object): value is Payload {
  const metadata = (value as Payload).metadata;
  return !!metadata && typeof metadata === 'object' && metadata.encoding instanceof Uint8Array;
}

/** A copy of the history with every payload run through the codec's decode: what a codec-aware reader sees. */
async function decodeHistory(value: unknown, codec: AesGcmPayloadCodec): Promise<unknown> {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => decodeHistory(v, codec)));
  if (isPayload(value)) return (await codec.decode([value]))[0];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = await decodeHistory(v, codec);
  return out;
}

describe('AesGcmPayloadCodec on a real Temporal server', () => {
  const codec = new AesGcmPayloadCodec(randomBytes(32));
  const dataConverter = { payloadCodecs: [codec] };
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress() });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('round-trips a workflow through the codec and stores only ciphertext in the history', async () => {
    const secret = `PHI-${randomUUID()} Erika Mustermann`;
    const input = { secret };
    const taskQueue = `payload-codec-${randomUUID()}`;
    const workflowId = `payload-codec-${randomUUID()}`;

    const workerConnection = await NativeConnection.connect({ address: temporalAddress() });
    let activitySaw: unknown;
    const activities: CodecActivities = {
      async echoActivity(i) {
        activitySaw = i;
        return i;
      },
    };
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: NAMESPACE,
        taskQueue,
        workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: silent }),
        activities,
        dataConverter,
      });
      const client = new Client({ connection, namespace: NAMESPACE, dataConverter });
      const result = await worker.runUntil(client.workflow.execute<typeof echo>('echo', { taskQueue, workflowId, args: [input] }));
      expect(result).toEqual(input);
      expect(activitySaw).toEqual(input);
    } finally {
      await workerConnection.close();
    }

    // A client without the codec sees only ciphertext.
    const plainClient = new Client({ connection, namespace: NAMESPACE });
    const handle = plainClient.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const stored = historyText(history);
    expect(stored).toContain('binary/encrypted'); // the scan does see the payloads
    expect(stored).toContain(codec.keyId);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain('Mustermann');
    expect(stored).not.toContain('json/plain');
    // ...and cannot read the result.
    await expect(handle.result()).rejects.toThrow(/binary\/encrypted/);

    // Decoded with the codec, the same history holds the input and the result.
    const decoded = (await decodeHistory(history, codec)) as temporal.api.history.v1.IHistory;
    const readable = historyText(decoded);
    expect(readable).toContain(secret);
    expect(readable).toContain('json/plain');
    expect(readable).not.toContain('binary/encrypted');
  });
});
