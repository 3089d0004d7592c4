/**
 * The certificates `npm run cluster` serves the Temporal frontend with: a CA
 * and a server certificate for localhost signed by it, made at every start
 * (valid for 30 days; nothing to renew or keep) with the `selfsigned` library.
 * The CA's private key is dropped once the server certificate is signed, so
 * nothing else can ever be signed by it. The workers, gateways, UI server and
 * tools trust the CA file and check the name `localhost`. `npm run certs`
 * makes the same for docker-compose's servers (src/cluster/certs.ts). A real
 * deployment brings its own certificates: docs/operations.md, "Personal data".
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import type { Stack } from '../launcher/stack';

export interface ClusterTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The name the server certificate is for (and clients check). */
  serverName: string;
}

/**
 * A CA and one server certificate for `names` (the first is the one clients check) and 127.0.0.1, written to `dir`
 * as ca.pem, server.pem and server-key.pem (`keyMode`: the key file's permissions).
 */
export async function makeCertificates(
  dir: string,
  { names = ['localhost'], validDays = 30, keyMode = 0o600 }: { names?: string[]; validDays?: number; keyMode?: number } = {},
): Promise<ClusterTls> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + validDays * 86_400_000);
  const common = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate } as const;
  const ca = await generate([{ name: 'commonName', value: 'progreg cluster CA' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: names[0]! }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }],
      },
    ],
  });
  const files: ClusterTls = {
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server-key.pem'),
    serverName: names[0]!,
  };
  fs.writeFileSync(files.caFile, ca.cert);
  fs.writeFileSync(files.certFile, server.cert);
  fs.rmSync(files.keyFile, { force: true });
  fs.writeFileSync(files.keyFile, server.private, { mode: keyMode });
  return files;
}

/**
 * An https front for one gateway on a free loopback port, with the cluster's certificate: the Temporal
 * UI passes the signed-in staff member's tokens to an https codec endpoint only (as a real deployment
 * serves it, behind its TLS proxy). Bytes are passed through unchanged. Resolves to the port.
 */
export async function startTlsFront(stack: Stack, tlsFiles: ClusterTls, targetPort: number): Promise<number> {
  const open = new Set<net.Socket>();
  const server = tls.createServer({ cert: fs.readFileSync(tlsFiles.certFile), key: fs.readFileSync(tlsFiles.keyFile) }, (client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  stack.onStop('codec-tls', async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}
