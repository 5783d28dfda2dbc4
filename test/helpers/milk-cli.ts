import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const MILK = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'milk.mjs');

/** Starts `milk <args>` as its own OS process (stdout and stderr piped), with `env` added to this process's environment. */
export function spawnMilk(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [MILK, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs `milk <args>` to its end. Asynchronous, unlike spawnSync, so servers of the test process
 * itself (a TLS proxy) keep answering while the command runs.
 */
export async function milk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawnMilk(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { status, stdout, stderr };
}
