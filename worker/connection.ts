import { Client, Connection } from '@temporalio/client';
import type { LoadedConfig } from '../schemas/config.ts';
import { dataConverterFromEnvironment } from './payload-codec.ts';

/** A client for the config's Temporal address and namespace. Close its connection when done. */
export async function connectClient(loaded: LoadedConfig): Promise<Client> {
  const connection = await Connection.connect({ address: loaded.config.temporal.address, connectTimeout: '5s' });
  return new Client({ connection, namespace: loaded.config.temporal.namespace, dataConverter: dataConverterFromEnvironment() });
}

/** Whether a Temporal frontend answers at the address (a health check, not just an open port). */
export async function isTemporalReachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '2s' });
    try {
      await connection.healthService.check({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}
