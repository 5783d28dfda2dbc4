import net from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '@temporalio/client';

/** After the client's side of a TLS 1.3 handshake, how long to listen for the server refusing it (a missing client certificate). */
const REFUSAL_MS = 300;

/**
 * Why a TLS handshake with `address` fails, in Node's words ("self-signed certificate in certificate
 * chain", "Hostname/IP does not match certificate's altnames", "certificate required"), or undefined
 * when it succeeds. The gRPC client only reports that it could not connect before its deadline.
 */
export function tlsProblem(address: string, config: TLSConfig, timeoutMs = 2_000): Promise<string | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(address.slice(at + 1)),
      servername: config.serverNameOverride ?? (net.isIP(host) ? undefined : host),
      ca: config.serverRootCACertificate && Buffer.from(config.serverRootCACertificate),
      cert: config.clientCertPair && Buffer.from(config.clientCertPair.crt),
      key: config.clientCertPair && Buffer.from(config.clientCertPair.key),
      ALPNProtocols: ['h2'],
    });
    const settle = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => settle(`no TLS handshake within ${timeoutMs} ms`));
    // OpenSSL's errors carry a short `reason` ("wrong version number": not TLS) beside a long message.
    socket.once('error', (err: Error & { code?: string; reason?: string }) => settle((err.code?.startsWith('ERR_SSL_') && err.reason ? err.reason : err.message).trim()));
    socket.once('secureConnect', () => setTimeout(() => settle(undefined), REFUSAL_MS));
  });
}
