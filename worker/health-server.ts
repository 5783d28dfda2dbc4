import { createServer, type Server } from 'node:http';
import type { RunningWorker } from './worker.ts';

/**
 * `GET /healthz` for a deployment's liveness and readiness probes: 200 while every queue's Worker of
 * the process is RUNNING, 503 once any is not (starting, draining on SIGTERM, stopped, failed), with
 * `{"status","queues","state"}` so a person reading it sees which queue is down.
 */
export async function serveHealth(worker: RunningWorker, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const state = worker.states();
    const ok = worker.queues.every((q) => state[q] === 'RUNNING');
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', queues: worker.queues, state }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
