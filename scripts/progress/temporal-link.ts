import { connect as tcpConnect } from 'node:net';
import { isGrpcServiceError, WorkflowFailedError, type Client } from '@temporalio/client';
import { TemporalFailure, WorkflowNotFoundError } from '@temporalio/common';

/** How long a client waits through a Temporal outage by default before it gives up following a build. */
export const DEFAULT_MAX_OUTAGE_MS = 10 * 60_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 10_000;
/** A server lost again this soon after a reconnection is the same outage (its clock and backoff go on), so a flapping server still ends in a clear error. */
const SAME_OUTAGE_MS = 30_000;

/** What a client tells its user about an outage: the server went away (and when it tries again), or came back. */
export type OutageNotice = { kind: 'down'; address: string; downMs: number; retryInMs: number } | { kind: 'up'; address: string; downMs: number };

/** The server stayed away longer than the client was told to wait. */
export class ServerUnreachableError extends Error {
  constructor(
    readonly address: string,
    readonly downMs: number,
    cause: unknown,
  ) {
    super(`Temporal at ${address} unreachable for ${formatDuration(downMs)}`, { cause });
  }
}

/** gRPC status codes (@grpc/grpc-js is the client's dependency, not this project's) */
const grpcStatus = { DEADLINE_EXCEEDED: 4, INTERNAL: 13, UNAVAILABLE: 14 } as const;
const TRANSIENT_CODES = new Set<number>([grpcStatus.UNAVAILABLE, grpcStatus.DEADLINE_EXCEEDED]);
const TRANSIENT_MESSAGE = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Failed to connect|No connection established|Connection dropped|connection (closed|refused|reset)|Channel has been shut down|Deadline exceeded|transport error/i;

/**
 * Whether an error of a client call says the server could not be reached (or answered "not now"),
 * rather than that the call itself was wrong or the workflow failed: a gRPC UNAVAILABLE or deadline
 * anywhere in its causes, or a socket error. A workflow's own failure, even one caused by a timeout,
 * is an answer, never an outage.
 */
export function isServerUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TemporalFailure || e instanceof WorkflowFailedError || e instanceof WorkflowNotFoundError) return false;
    if (isGrpcServiceError(e)) return TRANSIENT_CODES.has(e.code) || (e.code === grpcStatus.INTERNAL && /RST_STREAM|Call ended without gRPC status/i.test(e.details));
    if (TRANSIENT_MESSAGE.test(e.message)) return true;
  }
  return false;
}

export interface TemporalLinkOptions {
  /** the frontend's address, for the notices */
  address: string;
  /** opens a client on a new connection; rejects while the server is away */
  connect: () => Promise<Client>;
  /**
   * a quick look before connecting (e.g. acceptsConnections): while it fails, attempts back off;
   * once it passes but connecting fails (a server still starting), the next attempt comes soon
   */
  probe?: () => Promise<void>;
  /** how long to wait through one outage before giving up (ServerUnreachableError) */
  maxOutageMs?: number;
  onNotice?: (notice: OutageNotice) => void;
  /** whether the server answers right now, for errors isServerUnavailable cannot place (default: assume it does) */
  reachable?: () => Promise<boolean>;
  /** for tests */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  initialRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * A client that outlives Temporal outages: `run(call)` runs a call on the current client and, when
 * it fails because the server is away, waits for the server with capped exponential backoff (1 s
 * doubling to 10 s), opens a fresh connection and runs the call again, until `maxOutageMs` of one
 * outage have passed. Every caller that meets the same outage waits for the same reconnection.
 */
export class TemporalLink {
  private active: Client;
  private outage: Promise<void> | undefined;
  /** the last outage: when it began, its next retry delay, when it ended */
  private lastOutage: { since: number; delay: number; endedAt: number } | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private closed = false;

  private constructor(
    client: Client,
    private readonly options: TemporalLinkOptions,
  ) {
    this.active = client;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Connects once (failing at once when the server is away: a build is not started blind). */
  static async open(options: TemporalLinkOptions): Promise<TemporalLink> {
    return new TemporalLink(await options.connect(), options);
  }

  /** The client to use now; undefined while the server is away. */
  get client(): Client | undefined {
    return this.outage ? undefined : this.active;
  }

  get maxOutageMs(): number {
    return this.options.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS;
  }

  /** Runs `call` on the current client, again on a new one after each outage it meets. */
  async run<T>(call: (client: Client) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.outage) await this.outage;
      const client = this.active;
      try {
        return await call(client);
      } catch (err) {
        if (this.closed) throw err;
        // a call on a connection replaced meanwhile failed because it was closed: run it again
        if (this.active === client && !(await this.isOutage(err))) throw err;
        // the first caller to meet this outage waits it out; the others (and later ones) wait with it
        if (this.active === client) this.outage ??= this.waitForServer(err).finally(() => (this.outage = undefined));
      }
    }
  }

  /** Closes the current connection; calls still running fail with their error, nothing reconnects. */
  async close(): Promise<void> {
    this.closed = true;
    await this.active.connection.close().catch(() => {});
  }

  private async isOutage(err: unknown): Promise<boolean> {
    if (isServerUnavailable(err)) return true;
    if (err instanceof TemporalFailure || err instanceof WorkflowFailedError || err instanceof WorkflowNotFoundError || !this.options.reachable) return false;
    return !(await this.options.reachable().catch(() => false));
  }

  private async waitForServer(cause: unknown): Promise<void> {
    const { address } = this.options;
    const max = this.maxOutageMs;
    const again = this.lastOutage && this.now() - this.lastOutage.endedAt < SAME_OUTAGE_MS ? this.lastOutage : undefined;
    const since = again?.since ?? this.now();
    let delay = again?.delay ?? this.options.initialRetryMs ?? FIRST_RETRY_MS;
    for (;;) {
      const downMs = this.now() - since;
      if (downMs >= max) throw new ServerUnreachableError(address, downMs, cause);
      const wait = Math.min(delay, max - downMs);
      this.options.onNotice?.({ kind: 'down', address, downMs, retryInMs: wait });
      await this.sleep(wait);
      if (this.closed) throw new Error('closed while waiting for the Temporal server');
      let client: Client;
      try {
        await this.options.probe?.();
      } catch (err) {
        cause = err;
        delay = Math.min(delay * 2, this.options.maxRetryMs ?? MAX_RETRY_MS);
        continue;
      }
      try {
        client = await this.options.connect();
      } catch (err) {
        // something listens but does not answer yet (a server starting up): look again soon
        cause = err;
        delay = this.options.probe ? (this.options.initialRetryMs ?? FIRST_RETRY_MS) : Math.min(delay * 2, this.options.maxRetryMs ?? MAX_RETRY_MS);
        continue;
      }
      if (this.closed) {
        void client.connection.close().catch(() => {});
        throw new Error('closed while waiting for the Temporal server');
      }
      const old = this.active;
      this.active = client;
      void old.connection.close().catch(() => {});
      this.lastOutage = { since, delay, endedAt: this.now() };
      this.options.onNotice?.({ kind: 'up', address, downMs: this.now() - since });
      return;
    }
  }
}

/**
 * Resolves once something accepts a TCP connection at `host:port`, rejects when nothing does within
 * `timeoutMs`: lets a reconnection attempt fail fast while the server is down, and give a server
 * that is there (but slow to answer) its full connect timeout.
 */
export function acceptsConnections(address: string, timeoutMs = 2_000): Promise<void> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`connect ETIMEDOUT ${address}`)));
    socket.once('connect', () => done());
    socket.once('error', done);
  });
}

/** `12 s`, `3 min 5 s`, `10 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** The one stderr line per notice: `[temporal] server unreachable at host:7233, retrying (12 s)...`. */
export function formatOutageNotice(notice: OutageNotice, maxOutageMs: number): string {
  return notice.kind === 'down'
    ? `[temporal] server unreachable at ${notice.address}, retrying in ${formatDuration(notice.retryInMs)} (down ${formatDuration(notice.downMs)}, giving up after ${formatDuration(maxOutageMs)})...`
    : `[temporal] reconnected to ${notice.address} after ${formatDuration(notice.downMs)}`;
}

/** Parses `--wait-for-server`: `0`, `90s`, `10m`, `1h`, `500ms`. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`expected a duration like 30s, 10m or 1h, not '${text}'`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
