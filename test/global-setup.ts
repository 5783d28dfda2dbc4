import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startDevServer } from '../scripts/dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

/**
 * Starts one real Temporal dev server for the whole test run (in a throw-away state folder) and
 * hands its address to the tests; see test/helpers/temporal.ts.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'milk-temporal-'));
  const [port, uiPort] = await distinctFreePorts(2);
  const server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), port, uiPort });
  project.provide('temporalAddress', server.address);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** freePort() closes its probe socket before returning, so two calls may hand out the same port. */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
