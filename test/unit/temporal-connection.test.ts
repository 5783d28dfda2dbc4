import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../schemas/config.ts';
import { connectionOptions } from '../../worker/connection.ts';
import { workerConfig } from '../helpers/worker-config.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'milk-connection-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('connectionOptions', () => {
  it('is the address alone without tls or apiKeyEnv', () => {
    const loaded = workerConfig(dir);
    expect(connectionOptions(loaded, {})).toEqual({ address: loaded.config.temporal.address });
  });

  it('reads the TLS files relative to the config file and names the server', () => {
    mkdirSync(path.join(dir, 'certs'));
    for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(path.join(dir, 'certs', name), `${name} bytes`);
    const loaded = workerConfig(dir, { tls: { serverName: 'temporal.example', caFile: 'certs/ca.pem', clientCertFile: 'certs/client.pem', clientKeyFile: 'certs/client.key' } });
    const { tls } = connectionOptions(loaded, {});
    expect(tls?.serverNameOverride).toBe('temporal.example');
    expect(Buffer.from(tls!.serverRootCACertificate!).toString()).toBe('ca.pem bytes');
    expect(Buffer.from(tls!.clientCertPair!.crt).toString()).toBe('client.pem bytes');
    expect(Buffer.from(tls!.clientCertPair!.key).toString()).toBe('client.key bytes');
  });

  it('is TLS with the system roots for an empty tls block', () => {
    expect(connectionOptions(workerConfig(dir, { tls: {} }), {}).tls).toEqual({});
  });

  it('takes the API key from the environment variable apiKeyEnv names', () => {
    const loaded = workerConfig(dir, { apiKeyEnv: 'MILK_TEMPORAL_API_KEY' });
    expect(connectionOptions(loaded, { MILK_TEMPORAL_API_KEY: 'key-123' })).toMatchObject({ apiKey: 'key-123' });
  });

  it('fails with one line naming the key: an unreadable file, an unset variable', () => {
    const missing = workerConfig(dir, { tls: { caFile: 'certs/nope.pem' } });
    expect(() => connectionOptions(missing, {})).toThrow(ConfigError);
    expect(() => connectionOptions(missing, {})).toThrow(`${missing.file}: temporal.tls.caFile: cannot read ${path.join(dir, 'certs', 'nope.pem')} (ENOENT)`);
    const unset = workerConfig(dir, { apiKeyEnv: 'MILK_TEMPORAL_API_KEY' });
    expect(() => connectionOptions(unset, {})).toThrow(`${unset.file}: temporal.apiKeyEnv: the environment variable MILK_TEMPORAL_API_KEY is not set`);
    expect(() => connectionOptions(unset, { MILK_TEMPORAL_API_KEY: '' })).toThrow('MILK_TEMPORAL_API_KEY is not set');
  });

  it('refuses a client certificate without its key, and an API key in place of a variable name', () => {
    expect(() => workerConfig(dir, { tls: { clientCertFile: 'client.pem' } })).toThrow('temporal.tls: set clientCertFile and clientKeyFile together');
    expect(() => workerConfig(dir, { apiKeyEnv: 'eyJhbGciOi.secret' })).toThrow('temporal.apiKeyEnv: an environment variable name');
  });
});
