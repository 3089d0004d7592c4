/**
 * `npm run cluster`: the production topology on this machine (see
 * src/cluster/cluster.ts), from the built processes (`npm run build` runs
 * first unless `--no-build`). Ports follow the embedded stack's variables:
 * PostgreSQL EMBEDDED_PG_PORT, Temporal frontend TEMPORAL_DEV_PORT (its other
 * services on the next ports), the UI TEMPORAL_UI_PORT, gateways GATEWAY_PORT
 * and GATEWAY_PORT+1, their metrics GATEWAY_METRICS_PORT and +2, the workers' metrics
 * WORKER_METRICS_PORT and +2, SeaweedFS S3 CLUSTER_S3_PORT. State in VAR_DIR/cluster
 * (`--reset` wipes it). Ctrl-C stops everything in reverse order.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { Stack } from '../launcher/stack';
import { projectRoot } from '../paths';
import { CLUSTER_REPLICAS, startCluster } from './cluster';
import { seaweedPortsFrom } from './seaweedfs';
import { ensureGoTools } from './tools';
import { portsFrom } from './temporal-server';

/** Development credentials of the cluster's own SeaweedFS; production sets S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY. */
const DEV_S3 = { accessKeyId: 'progreg-dev', secretAccessKey: 'progreg-dev-secret-key' };

const stack = new Stack('cluster');

async function main(): Promise<void> {
  const t0 = Date.now();
  // The cluster is a development stack like npm start: it opts in to the embedded defaults.
  process.env.NODE_ENV ??= 'development';
  const config = loadConfig();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stack.shutdown().then(() => process.exit(0)));
  const varDir = path.join(config.varDir, 'cluster');
  if (process.argv.includes('--reset')) {
    stack.say('cluster', `--reset: removing ${varDir}`);
    fs.rmSync(varDir, { recursive: true, force: true });
  }
  if (!process.argv.includes('--no-build')) {
    stack.say('cluster', 'npm run build (the cluster runs the built worker and gateway, with the prebuilt workflow bundle)');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  }
  // SeaweedFS is the longest build: `npm run setup:cluster` (or --with-s3 here) builds it; without it the
  // replicas share the upload folder.
  ensureGoTools(process.argv.includes('--with-s3') ? ['temporal', 'ui', 'seaweedfs'] : ['temporal', 'ui']);
  const cluster = await startCluster({
    stack,
    varDir,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ports: {
      postgres: config.EMBEDDED_PG_PORT,
      temporal: portsFrom(config.TEMPORAL_DEV_PORT),
      ui: config.TEMPORAL_UI_PORT,
      s3: seaweedPortsFrom(config.CLUSTER_S3_PORT),
      gateways: Array.from({ length: CLUSTER_REPLICAS }, (_, i) => config.GATEWAY_PORT + i),
      ...(config.GATEWAY_METRICS_PORT && config.WORKER_METRICS_PORT
        ? { metrics: { gateway: config.GATEWAY_METRICS_PORT, worker: config.WORKER_METRICS_PORT } }
        : {}),
    },
    workers: CLUSTER_REPLICAS,
    s3: {
      bucket: config.S3_BUCKET,
      accessKeyId: config.S3_ACCESS_KEY_ID ?? DEV_S3.accessKeyId,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY ?? DEV_S3.secretAccessKey,
    },
  });
  const lines = [
    `progreg cluster is up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    ...cluster.gateways.map((g, i) => `  Gateway ${String.fromCharCode(65 + i)}          ${g.url}`),
    `  Temporal UI        ${cluster.uiUrl}  (staff sign in at Gateway A's identity provider: ${path.join(varDir, 'idp', 'staff-accounts.json')})`,
    `  Codec endpoint     ${cluster.codecUrl}  (https with the cluster's CA ${path.join(varDir, 'tls', 'ca.pem')}: trust it, or open the URL once and accept it)`,
    `  Temporal frontend  ${cluster.temporalAddress}  TLS, namespace ${config.TEMPORAL_NAMESPACE} (PostgreSQL persistence + visibility)`,
    `  Workers            ${cluster.workers.length} for the registrations, 1 for the cohort imports (built, prebuilt workflow bundle)`,
    `  S3 (SeaweedFS)     ${cluster.s3Endpoint ?? 'not built: uploads in the shared folder'}`,
    `  PostgreSQL         ${cluster.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
    ...cluster.metricsEndpoints.map((m) => `  Metrics ${m.process.padEnd(11)}${m.url}`),
    '  Ctrl-C stops everything.',
  ];
  for (const l of lines) stack.say('cluster', l);
}

main().catch(async (err) => {
  stack.say('cluster', `failed to start: ${err instanceof Error ? err.message : String(err)}`);
  await stack.shutdown();
  process.exit(1);
});
