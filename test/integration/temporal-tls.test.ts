import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedConfig } from '../../schemas/config.ts';
import { buildStartOptions } from '../../scripts/build-start.ts';
import { connectClient, connectionOptions } from '../../worker/connection.ts';
import { startWorker } from '../../worker/worker.ts';
import { milk } from '../helpers/milk-cli.ts';
import { probeBundle } from '../helpers/probe-workflows.ts';
import { temporalAddress } from '../helpers/temporal.ts';
import { makeCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from '../helpers/tls-proxy.ts';
import { workerConfig } from '../helpers/worker-config.ts';

const API_KEY_ENV = 'MILK_TEST_TEMPORAL_API_KEY';

/**
 * `temporal server start-dev` has no TLS options, so TLS-terminating proxies stand in front of it:
 * one with a server certificate only, one that also requires a client certificate (mTLS).
 */
describe('temporal.tls and temporal.apiKeyEnv against a TLS proxy in front of the dev server', () => {
  let dir: string;
  let certs: TestCertificates;
  let tlsProxy: TlsProxy;
  let mtlsProxy: TlsProxy;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'milk-tls-'));
    mkdirSync(path.join(dir, 'certs'));
    certs = makeCertificates(path.join(dir, 'certs'));
    tlsProxy = await startTlsProxy(temporalAddress(), certs);
    mtlsProxy = await startTlsProxy(temporalAddress(), certs, { requireClientCert: true });
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    await tlsProxy?.close();
    await mtlsProxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A config whose files are relative to it (certs/...), reaching Temporal through `proxy` (TEMPORAL_ADDRESS, as a deployment may set it). */
  const configThrough = (proxy: TlsProxy, temporal: Record<string, unknown>): LoadedConfig => {
    vi.stubEnv('TEMPORAL_ADDRESS', proxy.address);
    return workerConfig(dir, temporal);
  };
  const serverTls = () => ({ serverName: certs.serverName, caFile: 'certs/ca.pem' });
  const clientTls = () => ({ ...serverTls(), clientCertFile: 'certs/client.pem', clientKeyFile: 'certs/client.key' });

  /** A workflow worker and an io worker (startWorker) and a client (connectClient), all through the proxy: planBuild's round trip. */
  async function planThrough(loaded: LoadedConfig) {
    const worker = await startWorker(loaded, { queues: ['workflow', 'io'], workflowBundle: await probeBundle() });
    const client = await connectClient(loaded);
    try {
      const { taskQueue, args } = buildStartOptions(loaded);
      return await client.workflow.execute('planProbe', { taskQueue, workflowId: `tls-${randomUUID()}`, args: [{ queues: args[0].queues, configHash: loaded.hash }] });
    } finally {
      await client.connection.close();
      await worker.shutdown();
    }
  }

  it('runs a workflow and an activity with the CA and server name, and with an API key, which the dev server ignores', async () => {
    const before = tlsProxy.handshakes;
    expect(await planThrough(configThrough(tlsProxy, { tls: serverTls() }))).toMatchObject({ centres: ['vienna', 'barcelona', 'brisbane', 'newyork', 'graz'] });
    vi.stubEnv(API_KEY_ENV, 'test-api-key');
    const withKey = configThrough(tlsProxy, { tls: serverTls(), apiKeyEnv: API_KEY_ENV });
    expect(connectionOptions(withKey).apiKey).toBe('test-api-key');
    expect(await planThrough(withKey)).toMatchObject({ dataset: withKey.config.dataset });
    // the client and the worker's connection each handshook with the proxy, in both runs
    expect(tlsProxy.handshakes - before).toBeGreaterThanOrEqual(4);
  });

  it('runs a workflow over mTLS with the client certificate; without it the handshake is refused, clearly', async () => {
    const loaded = configThrough(mtlsProxy, { tls: clientTls() });
    expect(await planThrough(loaded)).toMatchObject({ dataset: loaded.config.dataset });
    expect(mtlsProxy.clientSubjects).toContain('milk-worker');

    const noCert = configThrough(mtlsProxy, { tls: serverTls() });
    await expect(connectClient(noCert)).rejects.toThrow(`TLS to ${mtlsProxy.address} failed: tlsv13 alert certificate required`);
    // the native client reads the server's alert, or, when the proxy has already closed, a broken pipe or a closed connection: refused each way
    await expect(startWorker(noCert, { queues: ['io'] })).rejects.toThrow(/CertificateRequired|broken pipe|connection closed/);
  });

  it('refuses a server whose CA the client was not given, naming the reason', async () => {
    const noCa = configThrough(tlsProxy, { tls: { serverName: certs.serverName } });
    await expect(connectClient(noCa)).rejects.toThrow(`TLS to ${tlsProxy.address} failed: self-signed certificate in certificate chain`);
    await expect(startWorker(noCa, { queues: ['io'] })).rejects.toThrow(/UnknownIssuer/);
  });

  it('milk health: exit 0 with one line through TLS, 1 with one line naming the reason or the key', async () => {
    const health = (temporal: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
      const loaded = configThrough(tlsProxy, temporal);
      return milk(['health', '--config', loaded.file], { TEMPORAL_ADDRESS: tlsProxy.address, ...env });
    };
    const ok = await health({ tls: serverTls() });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`ok: Temporal at ${tlsProxy.address} answers and serves namespace default over TLS\n`);

    const lines = (result: { stderr: string }) => result.stderr.trim().split('\n');
    const noCa = await health({ tls: { serverName: certs.serverName } });
    expect(noCa.status).toBe(1);
    expect(lines(noCa)).toEqual([expect.stringMatching(/^milk: Temporal at .* \(namespace default\) is not healthy: .*self-signed certificate in certificate chain$/)]);

    const missingFile = await health({ tls: { ...serverTls(), caFile: 'certs/absent.pem' } });
    expect(missingFile.status).toBe(1);
    expect(lines(missingFile)).toEqual([expect.stringMatching(/^milk: .*temporal\.yml: temporal\.tls\.caFile: cannot read .*absent\.pem \(ENOENT\)$/)]);

    const unsetKey = await health({ tls: serverTls(), apiKeyEnv: API_KEY_ENV }, { [API_KEY_ENV]: '' });
    expect(unsetKey.status).toBe(1);
    expect(lines(unsetKey)).toEqual([expect.stringMatching(new RegExp(`^milk: .*temporal\\.yml: temporal\\.apiKeyEnv: the environment variable ${API_KEY_ENV} is not set$`))]);
  });
});
