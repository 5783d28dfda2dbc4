import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { ConfigError, type LoadedConfig } from '../schemas/config.ts';
import { dataConverterFromEnvironment } from './payload-codec.ts';
import { tlsProblem } from './tls-problem.ts';

/** How to reach the frontend, the same for every client and worker: `Connection` and `NativeConnection` both take it. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * The config's address, TLS (certificate files read, relative to the config file) and API key (from
 * the environment variable `temporal.apiKeyEnv` names). A missing file or an unset variable is one
 * line naming its key, before anything connects.
 */
export function connectionOptions(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): TemporalConnectionOptions {
  const { address, tls, apiKeyEnv } = loaded.config.temporal;
  const read = (key: string, file: string): Buffer => {
    const resolved = path.resolve(path.dirname(loaded.file), file);
    try {
      return readFileSync(resolved);
    } catch (err) {
      throw new ConfigError(`${loaded.file}: temporal.tls.${key}: cannot read ${resolved} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const options: TemporalConnectionOptions = { address };
  if (tls) {
    options.tls = {
      ...(tls.serverName && { serverNameOverride: tls.serverName }),
      ...(tls.caFile && { serverRootCACertificate: read('caFile', tls.caFile) }),
      ...(tls.clientCertFile && tls.clientKeyFile && { clientCertPair: { crt: read('clientCertFile', tls.clientCertFile), key: read('clientKeyFile', tls.clientKeyFile) } }),
    };
  }
  if (apiKeyEnv) {
    const apiKey = env[apiKeyEnv];
    if (!apiKey) throw new ConfigError(`${loaded.file}: temporal.apiKeyEnv: the environment variable ${apiKeyEnv} is not set`);
    options.apiKey = apiKey;
  }
  return options;
}

/**
 * Connects a gRPC client; a TLS failure names its cause, where the client itself only says it missed
 * its deadline. A connection that never came up is closed, so its channel does not go on retrying
 * (and keeping the process alive) after the caller has moved on.
 */
async function connect(options: TemporalConnectionOptions, connectTimeout: string): Promise<Connection> {
  const connection = Connection.lazy({ ...options, connectTimeout });
  try {
    await connection.ensureConnected();
    return connection;
  } catch (err) {
    await connection.close().catch(() => {});
    const problem = options.tls && (await tlsProblem(options.address, options.tls));
    throw problem ? new Error(`${(err as Error).message}: TLS to ${options.address} failed: ${problem}`) : err;
  }
}

/**
 * A client for the config's Temporal frontend and namespace. Close its connection when done.
 * `connectTimeout` (default 5 s): a process busy with an embedded worker's backlog answers slower.
 */
export async function connectClient(loaded: LoadedConfig, connectTimeout = '5s'): Promise<Client> {
  const connection = await connect(connectionOptions(loaded), connectTimeout);
  return new Client({ connection, namespace: loaded.config.temporal.namespace, dataConverter: dataConverterFromEnvironment() });
}

/**
 * Checks that a Temporal frontend answers its health check and, given a namespace, serves it (which
 * also proves an API key is accepted); throws the reason otherwise.
 */
export async function checkTemporal(options: TemporalConnectionOptions, namespace?: string): Promise<void> {
  const connection = await connect(options, '2s');
  try {
    await connection.healthService.check({});
    if (namespace) await connection.workflowService.describeNamespace({ namespace });
  } finally {
    await connection.close();
  }
}

/** Whether a Temporal frontend answers (a health check, not just an open port). */
export async function isTemporalReachable(target: string | TemporalConnectionOptions): Promise<boolean> {
  try {
    await checkTemporal(typeof target === 'string' ? { address: target } : target);
    return true;
  } catch {
    return false;
  }
}
