import type { Client } from '@temporalio/client';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { acceptsConnections, formatOutageNotice, isServerUnavailable, parseDuration, ServerUnreachableError, TemporalLink, type OutageNotice } from '../../scripts/progress/temporal-link.ts';

/** A gRPC error as @grpc/grpc-js makes them. */
const grpcError = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
const unavailable = () => new ServiceError('Failed to get Workflow execution history', { cause: grpcError(14, 'No connection established') });

/** A fake client whose connection records being closed. */
const fakeClient = (name: string) => {
  const client = { name, closed: false, connection: { close: async () => void (client.closed = true) } };
  return client as typeof client & Client;
};

/** A link on a fake clock: sleeping advances it; `up` says whether connecting succeeds at a given time. */
function fakeLink(up: (now: number) => boolean, maxOutageMs = 60_000) {
  let now = 0;
  let opened = 0;
  const notices: OutageNotice[] = [];
  const clients: ReturnType<typeof fakeClient>[] = [];
  const connect = async () => {
    if (opened > 0 && !up(now)) {
      now += 5_000; // a connect attempt waits for its deadline
      throw new Error('Failed to connect before the deadline');
    }
    const client = fakeClient(`client-${opened++}`);
    clients.push(client);
    return client;
  };
  const open = () =>
    TemporalLink.open({ address: 'temporal:7233', connect, maxOutageMs, onNotice: (n) => notices.push(n), sleep: async (ms) => void (now += ms), now: () => now });
  return { open, notices, clients, now: () => now };
}

describe('isServerUnavailable', () => {
  it('is true for UNAVAILABLE and deadlines anywhere in the causes, and for socket errors; false for answers', () => {
    expect(isServerUnavailable(unavailable())).toBe(true);
    expect(isServerUnavailable(new ServiceError('Failed to query Workflow', { cause: grpcError(4, 'Deadline exceeded') }))).toBe(true);
    expect(isServerUnavailable(new Error('tonic::transport::Error(Transport, ConnectError("tcp connect error", 127.0.0.1:7233, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }))'))).toBe(true);
    expect(isServerUnavailable(new ServiceError('Failed to start Workflow', { cause: grpcError(3, 'invalid argument') }))).toBe(false);
    // a workflow that failed because of a connection error inside an activity is an answer
    expect(isServerUnavailable(new WorkflowFailedError('Workflow execution failed', ApplicationFailure.create({ message: 'connect ECONNREFUSED 10.0.0.1:443' }), 'NON_RETRYABLE_FAILURE'))).toBe(false);
    expect(isServerUnavailable(new Error('leak scan found 3 PHI value(s)'))).toBe(false);
  });
});

describe('TemporalLink', () => {
  it('waits through an outage with capped exponential backoff, reconnects on a new client and runs the call again', async () => {
    const link = fakeLink((now) => now >= 40_000);
    const temporal = await link.open();
    let calls = 0;
    const result = await temporal.run(async (client) => {
      calls++;
      if ((client as ReturnType<typeof fakeClient>).name === 'client-0') throw unavailable();
      return 'summary';
    });
    expect(result).toBe('summary');
    expect(calls).toBe(2);
    // 1 s, 2 s, 4 s, 8 s, 10 s (capped) between attempts; each failed attempt waits its 5 s deadline
    expect(link.notices.map((n) => (n.kind === 'down' ? n.retryInMs : 'up'))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 'up']);
    expect(link.notices.at(-1)).toEqual({ kind: 'up', address: 'temporal:7233', downMs: 45_000 });
    expect(link.clients[0]!.closed).toBe(true);
    expect(temporal.client).toBe(link.clients[1]);
  });

  it('gives up after maxOutageMs with a ServerUnreachableError, and passes other errors through at once', async () => {
    const link = fakeLink(() => false, 30_000);
    const temporal = await link.open();
    const failure = await temporal.run(() => Promise.reject(unavailable())).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ServerUnreachableError);
    // tries at 1, 8, 17 and 30 s (each failing after its 5 s deadline), then the 30 s are over
    expect((failure as Error).message).toBe('Temporal at temporal:7233 unreachable for 35 s');
    expect(link.notices.map((n) => n.kind === 'down' && n.downMs)).toEqual([0, 6_000, 13_000, 22_000]);

    const answered = await fakeLink(() => true).open();
    await expect(answered.run(() => Promise.reject(new ServiceError('bad request', { cause: grpcError(3, 'invalid') })))).rejects.toThrow('bad request');
  });

  it('tries again soon, not after the capped backoff, when the server listens but does not answer yet', async () => {
    let now = 0;
    let attempts = 0;
    const notices: OutageNotice[] = [];
    const temporal = await TemporalLink.open({
      address: 'temporal:7233',
      // the port opens at 20 s; the first connection after that meets a server still starting
      probe: async () => {
        if (now < 20_000) throw new Error('connect ECONNREFUSED');
      },
      connect: async () => {
        if (attempts++ === 1) {
          now += 15_000;
          throw new Error('Failed to connect before the deadline');
        }
        return fakeClient(`client-${attempts}`);
      },
      onNotice: (n) => notices.push(n),
      sleep: async (ms) => void (now += ms),
      now: () => now,
    });
    expect(await temporal.run(async (client) => ((client as ReturnType<typeof fakeClient>).name === 'client-1' ? Promise.reject(unavailable()) : 'done'))).toBe('done');
    // probes at 1, 3, 7, 15 and 25 s; the port is open from 20 s, the connection at 25 s fails at 40 s; 1 s later it succeeds
    expect(notices.map((n) => (n.kind === 'down' ? n.retryInMs : `up after ${n.downMs}`))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 1_000, 'up after 41000']);
  });

  it('lets every caller that meets the same outage wait for one reconnection', async () => {
    const link = fakeLink((now) => now >= 3_000);
    const temporal = await link.open();
    const failOnFirst = (value: string) => async (client: Client) => {
      if ((client as ReturnType<typeof fakeClient>).name === 'client-0') throw unavailable();
      return value;
    };
    expect(await Promise.all([temporal.run(failOnFirst('result')), temporal.run(failOnFirst('progress'))])).toEqual(['result', 'progress']);
    expect(link.clients.map((c) => c.name)).toEqual(['client-0', 'client-1']);
    expect(link.notices.filter((n) => n.kind === 'up')).toHaveLength(1);
  });

  it('counts a server lost again right after it came back as the same outage', async () => {
    // up only for the attempt at 17 s, and every call fails anyway: a flapping server ends in the error, not in an endless loop
    const link = fakeLink((now) => now >= 17_000 && now < 18_000, 60_000);
    const temporal = await link.open();
    const failure = await temporal.run(() => Promise.reject(unavailable())).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ServerUnreachableError);
    expect(link.notices.filter((n) => n.kind === 'up')).toHaveLength(1);
    expect((failure as ServerUnreachableError).downMs).toBeGreaterThanOrEqual(60_000);
  });
});

describe('outage notices and durations', () => {
  it('says where, for how long, and when it gives up, in one line', () => {
    expect(formatOutageNotice({ kind: 'down', address: 'localhost:7233', downMs: 12_400, retryInMs: 8_000 }, 600_000)).toBe(
      '[temporal] server unreachable at localhost:7233, retrying in 8 s (down 12 s, giving up after 10 min)...',
    );
    expect(formatOutageNotice({ kind: 'up', address: 'localhost:7233', downMs: 75_000 }, 600_000)).toBe('[temporal] reconnected to localhost:7233 after 1 min 15 s');
  });

  it('parses --wait-for-server durations', () => {
    expect([parseDuration('0'), parseDuration('90s'), parseDuration('10m'), parseDuration('1h'), parseDuration('500ms')]).toEqual([0, 90_000, 600_000, 3_600_000, 500]);
    expect(() => parseDuration('ten minutes')).toThrow("expected a duration like 30s, 10m or 1h, not 'ten minutes'");
  });
});

describe('acceptsConnections', () => {
  it('resolves when something listens, rejects at once when nothing does', async () => {
    const { createServer } = await import('node:net');
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    await expect(acceptsConnections(`127.0.0.1:${port}`)).resolves.toBeUndefined();
    await new Promise((r) => server.close(r));
    const started = Date.now();
    await expect(acceptsConnections(`127.0.0.1:${port}`)).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
