/**
 * The production topology on one machine: PostgreSQL, the Temporal server on
 * it (persistence + SQL visibility) serving TLS with certificates made at
 * start (tls.ts), the Temporal UI signing staff in at the gateway's identity
 * provider and decoding through its codec endpoint, SeaweedFS for the shared
 * uploads, and several built workers and gateways on their own ports, all
 * sharing one database, one Temporal namespace and one S3 bucket. Used by
 * `npm run cluster` (src/cluster/main.ts), the cluster test and the benchmark.
 *
 * Workers and gateways are replicas: one that dies is restarted under the
 * launcher's RESTART_POLICY (the same as `npm start`'s: a doubling pause, and
 * the cluster stops after the 5th exit within a minute), as docker-compose's
 * `restart: unless-stopped` restarts them, and the others carry on.
 * Everything else going down stops the whole cluster.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TEMPORAL_UI_CLIENT_ID, temporalUiCallbackUrl } from '../config/oidc';
import { migrateDeploy, startEmbeddedPostgres, STACK_DATABASE } from '../db/embedded';
import { redact, shortPath, waitForReady, waitForTemporal, type Stack, type Supervised } from '../launcher/stack';
import { projectRoot } from '../paths';
import { ensureNamespace } from '../temporal/namespace';
import { ensureSearchAttributes } from '../temporal/search-attributes';
import { growBucketVolumes, startSeaweedfs, type S3Credentials, type SeaweedPorts } from './seaweedfs';
import { setupTemporalSchema, startTemporalServer, type PostgresEndpoint, type TemporalPorts } from './temporal-server';
import { makeCertificates, startTlsFront } from './tls';
import { clusterTools, ensureGoTools, isInstalled } from './tools';
import { productionNodeEnv, productionNodeFlags } from './node-flags';

export interface ClusterOptions {
  stack: Stack;
  varDir: string;
  namespace: string;
  taskQueue: string;
  ports: {
    postgres: number;
    temporal: TemporalPorts;
    /** 0: no UI. */
    ui: number;
    s3: SeaweedPorts;
    /** One gateway per port. */
    gateways: number[];
    /**
     * First metrics ports of the gateways and the workers: replica i listens on base + 2i (so the two
     * series interleave, 9464, 9466… and 9465, 9467…). Unset: the replicas serve no metrics.
     */
    metrics?: { gateway: number; worker: number };
  };
  workers: number;
  /** Extra environment for the workers and gateways (secrets, log level, …). */
  env?: NodeJS.ProcessEnv;
  s3: S3Credentials & { bucket: string };
}

export interface Cluster {
  databaseUrl: string;
  temporalAddress: string;
  /** Unset when SeaweedFS is not built. */
  s3Endpoint?: string;
  uiUrl?: string;
  /** The https front of the first gateway's codec endpoint, which the UI calls (unset without a UI). */
  codecUrl?: string;
  /** How clients reach the frontend: TLS checked against the cluster's CA (tests and tools pass these to connectTemporal). */
  temporalTls: { serverRootCACertificate: Buffer; serverNameOverride: string };
  gateways: Array<{ url: string; process: Supervised }>;
  /** The registration workers (WORKER_ROLE=registrations). */
  workers: Supervised[];
  /** The worker of the cohort imports (WORKER_ROLE=imports), a process of its own. */
  importWorker: Supervised;
  /** Where each process's Prometheus metrics endpoint listens (empty without ports.metrics). */
  metricsEndpoints: Array<{ process: string; url: string }>;
  /** The environment the workers and gateways run with (for tools pointed at the same cluster). */
  env: NodeJS.ProcessEnv;
  /** Starts one more worker (the benchmark scales 1 → 2). */
  addWorker(): Supervised;
}

const POSTGRES = { host: '127.0.0.1', user: 'postgres', password: 'postgres' };

/** Workers and gateways `npm run cluster` runs, and the replicas docker-compose.yml declares (the drift test compares). */
export const CLUSTER_REPLICAS = 2;
const IMPORT_WORKER_METRICS_INDEX = 10;

/**
 * What every worker and gateway of the cluster is told, beyond its own secrets and port: one database,
 * one namespace and task queue, shared rate limits and the shared S3 store. docker-compose.yml sets the same names.
 */
export function sharedProcessEnv(s: {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  temporalTls: { caFile: string; serverName: string };
  s3Endpoint: string | undefined;
  s3: S3Credentials & { bucket: string };
}): Record<string, string> {
  return {
    DATABASE_URL: s.databaseUrl,
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_CA_FILE: s.temporalTls.caFile,
    TEMPORAL_TLS_SERVER_NAME: s.temporalTls.serverName,
    TEMPORAL_NAMESPACE: s.namespace,
    TEMPORAL_TASK_QUEUE: s.taskQueue,
    RATE_LIMIT_STORE: 'postgres',
    S3_ENDPOINT: s.s3Endpoint ?? '',
    S3_BUCKET: s.s3.bucket,
    S3_ACCESS_KEY_ID: s.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s.s3.secretAccessKey,
  };
}

/** The built entry points: production processes, the prebuilt workflow bundle beside them. */
const builtWorker = path.join(projectRoot, 'dist', 'src', 'worker.js');
const builtGateway = path.join(projectRoot, 'dist', 'src', 'gateway', 'server.js');

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const { stack, ports } = opts;
  const say = (source: string, line: string) => stack.say(source, line);
  for (const file of [builtWorker, builtGateway]) {
    if (!fs.existsSync(file)) throw new Error(`${shortPath(file)} is missing: the cluster runs the built processes (\`npm run build\`)`);
  }
  ensureGoTools(['temporal', 'ui']);
  fs.mkdirSync(opts.varDir, { recursive: true });

  // PostgreSQL: the read model and Temporal's two databases on one server.
  const dataDir = path.join(opts.varDir, 'postgres');
  const db = await startEmbeddedPostgres({
    dataDir,
    port: ports.postgres,
    database: STACK_DATABASE,
    onLog: (line) => /ERROR|FATAL|PANIC/.test(line) && !stack.shuttingDown && say('postgres', line),
    // Temporal (30 connections), two workers and two gateways with their pools.
    settings: { max_connections: '400' },
  });
  stack.onStop('postgres', () => db.stop());
  say('postgres', `embedded PostgreSQL on ${redact(db.url)} (data in ${shortPath(dataDir)})`);
  migrateDeploy(db.url, projectRoot);
  say('postgres', 'progreg migrations applied');
  const endpoint: PostgresEndpoint = { ...POSTGRES, port: ports.postgres };
  await setupTemporalSchema(endpoint, (line) => say('temporal', line));

  // Temporal on PostgreSQL, serving TLS with a CA and certificate made now, with our namespace and search attributes.
  const tlsFiles = await makeCertificates(path.join(opts.varDir, 'tls'));
  startTemporalServer(stack, endpoint, ports.temporal, tlsFiles);
  const temporalAddress = `127.0.0.1:${ports.temporal.frontend}`;
  const temporalTls = { serverRootCACertificate: fs.readFileSync(tlsFiles.caFile), serverNameOverride: tlsFiles.serverName };
  const connection = await waitForTemporal(temporalAddress, 60_000, { tls: temporalTls });
  try {
    const created = await ensureNamespace(connection, opts.namespace);
    const added = await ensureSearchAttributes(connection, opts.namespace);
    say(
      'temporal',
      `server on ${temporalAddress} with TLS (CA ${shortPath(tlsFiles.caFile)}; PostgreSQL persistence and visibility); namespace ${opts.namespace}${created ? ' registered' : ''}${added.length ? `; registered ${added.join(', ')}` : ''}`,
    );
  } finally {
    await connection.close();
  }
  const uiUrl = ports.ui ? `http://localhost:${ports.ui}` : undefined;
  // The UI's client at the gateways' identity-provider simulator: a secret made now, told to both sides.
  const uiClient = { id: TEMPORAL_UI_CLIENT_ID, secret: randomBytes(32).toString('base64url') };

  // Shared file storage: SeaweedFS when it is built (its build is the longest; `npm run setup:cluster`
  // builds it), else the replicas share the upload folder under varDir, which works on one machine only.
  let s3Endpoint: string | undefined;
  // The bucket's volumes, grown while the workers and gateways start, so that no upload waits for them (seaweedfs.ts).
  let bucketVolumes: Promise<void> = Promise.resolve();
  if (isInstalled('seaweedfs')) {
    startSeaweedfs(stack, { dataDir: path.join(opts.varDir, 'seaweedfs'), ports: ports.s3, credentials: opts.s3 });
    s3Endpoint = `http://127.0.0.1:${ports.s3.s3}`;
    await waitForReady(s3Endpoint, 60_000, () => true);
    bucketVolumes = growBucketVolumes(ports.s3, opts.s3.bucket);
    // Awaited below; never an unhandled rejection meanwhile.
    bucketVolumes.catch(() => {});
    say('s3', `SeaweedFS S3 on ${s3Endpoint}, bucket ${opts.s3.bucket} (data in ${shortPath(path.join(opts.varDir, 'seaweedfs'))})`);
  } else {
    say('s3', `SeaweedFS is not built (npm run setup:cluster); uploads go to the shared folder ${shortPath(path.join(opts.varDir, 'uploads'))}`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    ...opts.env,
    ...sharedProcessEnv({
      databaseUrl: db.url,
      temporalAddress,
      namespace: opts.namespace,
      taskQueue: opts.taskQueue,
      temporalTls: tlsFiles,
      s3Endpoint,
      s3: opts.s3,
    }),
    VAR_DIR: opts.varDir,
    ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl, TEMPORAL_UI_OIDC_CLIENT_ID: uiClient.id, TEMPORAL_UI_OIDC_CLIENT_SECRET: uiClient.secret } : {}),
  };
  const workers: Supervised[] = [];
  const metricsEndpoints: Cluster['metricsEndpoints'] = [];
  const metricsPort = (kind: 'gateway' | 'worker', i: number, name: string) => {
    if (!ports.metrics) return { GATEWAY_METRICS_PORT: '0', WORKER_METRICS_PORT: '0' };
    const port = ports.metrics[kind] + 2 * i;
    metricsEndpoints.push({ process: name, url: `http://127.0.0.1:${port}/metrics` });
    return kind === 'gateway'
      ? { GATEWAY_METRICS_PORT: String(port), WORKER_METRICS_PORT: '0' }
      : { WORKER_METRICS_PORT: String(port), GATEWAY_METRICS_PORT: '0' };
  };
  const startWorker = (name: string, role: 'registrations' | 'imports', metricsIndex: number) =>
    stack.supervise(name, process.execPath, [...productionNodeFlags('worker'), builtWorker], {
      env: { ...env, ...productionNodeEnv('worker'), WORKER_ROLE: role, ...metricsPort('worker', metricsIndex, name) },
      restart: true,
    });
  const addWorker = () => {
    const w = startWorker(`worker-${workers.length + 1}`, 'registrations', workers.length);
    workers.push(w);
    return w;
  };
  for (let i = 0; i < opts.workers; i++) addWorker();
  // Its metrics after room for ten registration workers' (replica i at base + 2i).
  const importWorker = startWorker('import-worker', 'imports', IMPORT_WORKER_METRICS_INDEX);
  const gateways = ports.gateways.map((port, i) => ({
    url: `http://127.0.0.1:${port}`,
    process: stack.supervise(`gateway-${String.fromCharCode(97 + i)}`, process.execPath, [...productionNodeFlags('gateway'), builtGateway], {
      env: { ...env, GATEWAY_PORT: String(port), ...metricsPort('gateway', i, `gateway-${String.fromCharCode(97 + i)}`) },
      restart: true,
    }),
  }));
  await Promise.all([...gateways.map((g) => waitForReady(`${g.url}/readyz`, 120_000)), bucketVolumes]);

  // The Temporal UI, from the ui-server module (the same server and config template as the temporalio/ui image), once
  // the first gateway serves the identity provider it discovers at start. Staff sign in there (the UI's own OIDC
  // settings); the UI passes their tokens to the first gateway's codec endpoint, through an https front because the
  // UI passes tokens to an https codec only (docs/operations.md, "Personal data").
  let codecUrl: string | undefined;
  if (uiUrl) {
    const gatewayA = `http://localhost:${ports.gateways[0]}`;
    codecUrl = `https://localhost:${await startTlsFront(stack, tlsFiles, ports.gateways[0]!)}/codec`;
    stack.supervise('temporal-ui', clusterTools.uiServer, ['--root', clusterTools.uiRoot, '--env', 'docker', 'start'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_TLS_CA: tlsFiles.caFile,
        TEMPORAL_TLS_SERVER_NAME: tlsFiles.serverName,
        TEMPORAL_TLS_ENABLE_HOST_VERIFICATION: 'true',
        TEMPORAL_UI_PORT: String(ports.ui),
        TEMPORAL_DEFAULT_NAMESPACE: opts.namespace,
        TEMPORAL_CORS_ORIGINS: ports.gateways.map((p) => `http://localhost:${p}`).join(','),
        TEMPORAL_AUTH_ENABLED: 'true',
        // Signed out, every page goes straight to the provider's sign-in.
        TEMPORAL_AUTH_REDIRECT_TO_PROVIDER: 'true',
        TEMPORAL_AUTH_PROVIDER_URL: `${gatewayA}/idp`,
        TEMPORAL_AUTH_CLIENT_ID: uiClient.id,
        TEMPORAL_AUTH_CLIENT_SECRET: uiClient.secret,
        TEMPORAL_AUTH_CALLBACK_URL: temporalUiCallbackUrl(uiUrl),
        TEMPORAL_AUTH_SCOPES: 'openid,profile,email',
        TEMPORAL_CODEC_ENDPOINT: codecUrl,
        TEMPORAL_CODEC_PASS_ACCESS_TOKEN: 'true',
        TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
      },
      mute: () => stack.shuttingDown,
    });
    await waitForReady(`${uiUrl}/healthz`, 60_000);
  }
  return { databaseUrl: db.url, temporalAddress, temporalTls, s3Endpoint, uiUrl, codecUrl, gateways, workers, importWorker, metricsEndpoints, env, addWorker };
}
