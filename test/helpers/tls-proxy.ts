import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

/** PEM files of a throw-away CA, a server certificate for `serverName`, and a client certificate, all signed by the CA. */
export interface TestCertificates {
  serverName: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/**
 * Writes the certificates into `dir` with the openssl CLI: P-256 keys and v3 extensions
 * (subjectAltName, key usages), which rustls in the worker's core and Node's TLS both require.
 */
export function makeCertificates(dir: string, serverName = 'temporal.test'): TestCertificates {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=milk test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, subject: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${subject}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  leaf('server', serverName, `subjectAltName=DNS:${serverName}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  leaf('client', 'milk-worker', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    serverName,
    caFile: file('ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
  };
}

export interface TlsProxy {
  /** host:port of the TLS side */
  address: string;
  /** TLS handshakes completed, and the subject CN of each client certificate presented */
  handshakes: number;
  clientSubjects: string[];
  close(): Promise<void>;
}

/**
 * A TLS-terminating TCP proxy in front of a plain gRPC server (the dev server has no TLS flags):
 * HTTP/2 by ALPN, as gRPC clients insist on; with `requireClientCert`, mTLS (a client without a
 * certificate from the CA is refused in the handshake).
 */
export async function startTlsProxy(target: string, certs: TestCertificates, options: { requireClientCert?: boolean } = {}): Promise<TlsProxy> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const sockets = new Set<net.Socket>();
  const proxy: TlsProxy = { address: '', handshakes: 0, clientSubjects: [], close: async () => {} };
  const server = tls.createServer(
    {
      cert: readFileSync(certs.serverCertFile),
      key: readFileSync(certs.serverKeyFile),
      ca: readFileSync(certs.caFile),
      ALPNProtocols: ['h2'],
      requestCert: options.requireClientCert ?? false,
      rejectUnauthorized: options.requireClientCert ?? false,
    },
    (client) => {
      proxy.handshakes++;
      const subject = client.getPeerCertificate()?.subject?.CN;
      if (subject) proxy.clientSubjects.push(String(subject));
      const upstream = net.connect(Number(targetPort), targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    },
  );
  server.on('tlsClientError', () => {}); // a refused handshake is what some tests want
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
