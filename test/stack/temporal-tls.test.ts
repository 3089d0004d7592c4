/**
 * TLS and mutual TLS to Temporal (TEMPORAL_TLS_*): the gateway's client and the
 * worker's native connection reach the dev server through a TLS front (a
 * TLS-terminating proxy with certificates made by openssl for this run), check
 * the server's certificate against the configured CA, and present the client
 * certificate when the front demands one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { connectClient, temporalTransport } from '../../src/temporal/client';
import { devServerEnv } from '../kit/servers';

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, a server certificate for localhost and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=progreg test CA');
  // Extensions make them X.509 v3, which rustls (the worker's native connection) requires.
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${who}.key`,
      '-out',
      `${who}.csr`,
      '-subj',
      `/CN=${who === 'server' ? 'localhost' : 'progreg-worker'}`,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '1',
      '-extfile',
      `${who}.ext`,
    );
  }
  // A CA of nobody's, to show the server certificate is checked.
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=another CA');
  return (name: string) => path.join(dir, name);
}

/** A TLS front on a free port, passing the decrypted HTTP/2 on to the dev server's plaintext port. */
async function tlsFront(file: (n: string) => string, backend: number, requireClientCert: boolean) {
  const seen: { authorized: boolean; peer: string | undefined }[] = [];
  const server = tls.createServer(
    {
      key: fs.readFileSync(file('server.key')),
      cert: fs.readFileSync(file('server.pem')),
      ALPNProtocols: ['h2'],
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
      ca: fs.readFileSync(file('ca.pem')),
    },
    (socket) => {
      seen.push({ authorized: socket.authorized, peer: String((socket.getPeerCertificate() as tls.PeerCertificate)?.subject?.CN ?? '') || undefined });
      const upstream = net.connect(backend, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      const close = () => (socket.destroy(), upstream.destroy());
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('TLS to Temporal', function () {
  this.timeout(120_000);
  let dir: string;
  let file: (n: string) => string;
  let backend: number;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-tls-'));
    file = makeCertificates(dir);
    backend = Number((await devServerEnv()).address.split(':').at(-1));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const configFor = (port: number, env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', TEMPORAL_ADDRESS: `localhost:${port}`, ...env });

  it('the client and the native connection check the frontend against TEMPORAL_TLS_CA_FILE, and refuse a frontend another CA signed', async () => {
    const front = await tlsFront(file, backend, false);
    try {
      const config = configFor(front.port, { TEMPORAL_TLS_CA_FILE: file('ca.pem') });
      const client = await connectClient(config);
      try {
        assert.ok((await client.workflowService.getSystemInfo({})).serverVersion);
      } finally {
        await client.connection.close();
      }
      const native = await NativeConnection.connect({ address: `localhost:${front.port}`, ...temporalTransport(config) });
      await native.close();
      assert.ok(front.seen.length >= 2, 'both connections came through the TLS front');

      const wrongCa = configFor(front.port, { TEMPORAL_TLS_CA_FILE: file('other.pem') });
      await assert.rejects(
        connectClient(wrongCa).then((c) => c.connection.close()),
        'a frontend whose certificate the configured CA did not sign is refused',
      );
    } finally {
      await front.close();
    }
  });

  it('mutual TLS: with TEMPORAL_TLS_CERT_FILE and _KEY_FILE the client presents its certificate; without, the frontend refuses it', async () => {
    const front = await tlsFront(file, backend, true);
    try {
      const mtls = configFor(front.port, {
        TEMPORAL_TLS_CA_FILE: file('ca.pem'),
        TEMPORAL_TLS_CERT_FILE: file('client.pem'),
        TEMPORAL_TLS_KEY_FILE: file('client.key'),
      });
      const client = await connectClient(mtls);
      try {
        assert.ok((await client.workflowService.getSystemInfo({})).serverVersion);
      } finally {
        await client.connection.close();
      }
      const native = await NativeConnection.connect({ address: `localhost:${front.port}`, ...temporalTransport(mtls) });
      await native.close();
      assert.ok(front.seen.some((s) => s.authorized && s.peer === 'progreg-worker'));
      await assert.rejects(connectClient(configFor(front.port, { TEMPORAL_TLS_CA_FILE: file('ca.pem') })).then((c) => c.connection.close()));
    } finally {
      await front.close();
    }
    assert.throws(() => configFor(1, { TEMPORAL_TLS_CERT_FILE: file('client.pem') }), /mutual TLS needs both/);
  });

  it('no TLS setting, no TLS; an API key implies TLS', () => {
    assert.deepEqual(temporalTransport(configFor(1, {})), {});
    assert.deepEqual(temporalTransport(configFor(1, { TEMPORAL_API_KEY: 'key-123' })), { tls: {}, apiKey: 'key-123' });
    assert.deepEqual(temporalTransport(configFor(1, { TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' })), {
      tls: { serverNameOverride: 'frontend.internal' },
    });
  });
});
