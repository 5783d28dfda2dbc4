import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'unavailable' | 'reset' | 'cut' | 'delay';

export interface FaultProxy {
  /** put this where the S3 endpoint was */
  endpoint: string;
  requests: number;
  faults: Record<Fault, number>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an S3-compatible server that breaks a share of what passes: answers 503
 * SlowDown, resets the connection before answering, cuts an object's body halfway (headers and half
 * the bytes, then the socket closes), or delays the answer. Faults are drawn from a seeded generator,
 * so a run is repeatable. Listings and other requests get every fault but the cut (a cut listing is
 * not something S3 clients resume).
 */
export async function startFaultProxy(target: string, options: { rate: number; seed: number; delayMs?: number }): Promise<FaultProxy> {
  const upstream = new URL(target);
  let state = options.seed >>> 0 || 1;
  const random = () => {
    // xorshift32: small, seeded, good enough to spread faults
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const proxy: FaultProxy = { endpoint: '', requests: 0, faults: { unavailable: 0, reset: 0, cut: 0, delay: 0 }, close: async () => {} };
  const server = http.createServer((req, res) => {
    proxy.requests++;
    const isObjectRead = req.method === 'GET' && !/[?&](list-type|prefix|delimiter)=/.test(req.url ?? '');
    const kinds: Fault[] = isObjectRead ? ['unavailable', 'reset', 'cut', 'delay'] : ['unavailable', 'reset', 'delay'];
    const fault = random() < options.rate ? kinds[Math.floor(random() * kinds.length)]! : undefined;
    if (fault) proxy.faults[fault]++;
    if (fault === 'reset') return void req.socket.destroy();
    if (fault === 'unavailable') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected by the test proxy</Message></Error>');
    }
    const forward = () => {
      const outgoing = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (fault !== 'cut') {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          return void answer.pipe(res);
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        });
      });
      outgoing.on('error', () => req.socket.destroy());
      req.pipe(outgoing);
    };
    if (fault === 'delay') setTimeout(forward, options.delayMs ?? 2_000);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
