import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
// Brings in the ProvidedContext augmentation only; erased at run time.
import type {} from '../global-setup.ts';

/** Address (host:port) of the Temporal dev server that test/global-setup.ts started for this run. */
export function temporalAddress(): string {
  return inject('temporalAddress');
}

/**
 * A client of the test server for the enclosing describe block, connected before its tests and closed
 * after them. The in-process workers a test creates log at WARN, so their polling does not flood the output.
 */
export function useTemporalClient(): { readonly client: Client } {
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await connection?.close();
  });
  return {
    get client() {
      if (!client) throw new Error('useTemporalClient: the client is connected in beforeAll, use it inside a test');
      return client;
    },
  };
}
