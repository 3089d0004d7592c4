/**
 * The cluster the cluster benches run on (src/cluster: Temporal on PostgreSQL,
 * built workers and gateways), with a database client and a Temporal client of
 * their own; built first unless `noBuild`, and stopped, data and all, at the end
 * or on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { dataConverter } from '../src/temporal/data-converter';
import { startCluster, type Cluster } from '../src/cluster/cluster';
import { freeClusterPorts } from '../src/cluster/free-ports';
import { createPrisma, type PrismaClient } from '../src/db/prisma';
import { Stack } from '../src/launcher/stack';
import { projectRoot } from '../src/paths';
import { connectTemporal } from '../src/temporal/connection';

export interface BenchCluster {
  /** The stack the cluster runs in: a process a bench supervises here is stopped with it, Ctrl-C included. */
  stack: Stack;
  cluster: Cluster;
  prisma: PrismaClient;
  temporal: Client;
}

export async function withBenchCluster(
  opts: { name: string; workers: number; gateways: number; env: NodeJS.ProcessEnv; noBuild?: boolean },
  body: (bench: BenchCluster) => Promise<void>,
): Promise<void> {
  if (!opts.noBuild) execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), `progreg-bench-${opts.name}-`));
  // The servers' own lines are noise here; the stack's (a process that died, the stop) are printed.
  const stack = new Stack('bench', (line) => line.includes('[bench]') && console.log(line));
  // Ctrl-C stops the cluster's servers too (they run in process groups of their own), and removes their data (PostgreSQL's: gigabytes).
  process.once(
    'SIGINT',
    () =>
      void stack.shutdown().finally(() => {
        fs.rmSync(varDir, { recursive: true, force: true });
        process.exit(130);
      }),
  );
  try {
    const ports = await freeClusterPorts(opts.gateways);
    const cluster = await startCluster({
      stack,
      varDir,
      namespace: 'default',
      taskQueue: 'registration',
      ports: { ...ports, ui: 0 },
      workers: opts.workers,
      env: { NODE_ENV: 'test', LOG_LEVEL: 'error', ...opts.env },
      s3: { bucket: 'bench', accessKeyId: 'bench', secretAccessKey: 'bench-secret' },
    });
    console.log(`[bench] cluster up: Temporal ${cluster.temporalAddress} on PostgreSQL, ${opts.workers} worker(s), ${opts.gateways} gateway(s)`);
    const prisma = createPrisma(cluster.databaseUrl, 20);
    const temporal = new Client({
      connection: await connectTemporal({ address: cluster.temporalAddress, tls: cluster.temporalTls }),
      dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test' }).payloadKeys),
    });
    try {
      await body({ stack, cluster, prisma, temporal });
    } finally {
      await prisma.$disconnect();
      await temporal.connection.close();
    }
  } finally {
    await stack.shutdown();
    fs.rmSync(varDir, { recursive: true, force: true });
  }
}
