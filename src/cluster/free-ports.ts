/** Free ports for a whole cluster beside others on the same machine (the cluster test and the benchmark). */
import net from 'node:net';
import type { SeaweedPorts } from './seaweedfs';
import type { TemporalPorts } from './temporal-server';

/** Distinct free ports (asked for while all are held, so none is handed out twice). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Temporal stores membership ports in a smallint column (cluster_membership.rpc_port on PostgreSQL),
 * so they must be below 32768; the kernel's ephemeral ports are above it. Tries random ports in 20000–32767.
 */
async function freeLowPorts(n: number): Promise<number[]> {
  const held: net.Server[] = [];
  while (held.length < n) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    const srv = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) held.push(srv);
  }
  const ports = held.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface ClusterPorts {
  postgres: number;
  temporal: TemporalPorts;
  ui: number;
  s3: SeaweedPorts;
  gateways: number[];
}

export async function freeClusterPorts(gateways: number): Promise<ClusterPorts> {
  const p = await freePorts(16 + gateways);
  const low = await freeLowPorts(4);
  const next = () => p.shift()!;
  const nextLow = () => low.shift()!;
  return {
    postgres: next(),
    temporal: {
      frontend: next(),
      frontendHttp: next(),
      history: next(),
      matching: next(),
      worker: next(),
      frontendMembership: nextLow(),
      historyMembership: nextLow(),
      matchingMembership: nextLow(),
      workerMembership: nextLow(),
    },
    ui: next(),
    s3: { s3: next(), master: next(), volume: next(), filer: next(), masterGrpc: next(), volumeGrpc: next(), filerGrpc: next(), s3Grpc: next() },
    gateways: Array.from({ length: gateways }, next),
  };
}
