/**
 * The Temporal server on PostgreSQL, as the cluster runs it: the two databases
 * (temporal, temporal_visibility) created and their versioned schemas applied
 * with Temporal's own `sql` tool, then `server --config-file
 * deploy/temporal/config.yaml start` with the same dynamic config
 * docker-compose mounts. The file is templated; this fills it through the
 * environment, as compose does, the frontend's TLS certificates included.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createDatabaseIfMissing } from '../db/embedded';
import { projectRoot } from '../paths';
import type { Stack, Supervised } from '../launcher/stack';
import type { ClusterTls } from './tls';
import { clusterTools } from './tools';

const run = promisify(execFile);

export const TEMPORAL_CONFIG_FILE = path.join(projectRoot, 'deploy', 'temporal', 'config.yaml');
export const TEMPORAL_DYNAMIC_CONFIG_FILE = path.join(projectRoot, 'deploy', 'temporal', 'dynamicconfig', 'progreg.yaml');

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The server's own ports: the frontend's (what clients dial) and the internal ones. */
export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
}

/** The default layout (7233…, 6933…) shifted with the frontend port, so two clusters can sit side by side. */
export function portsFrom(frontend: number): TemporalPorts {
  // Membership ports go into a smallint column (cluster_membership.rpc_port): they must stay below 32768.
  if (frontend - 294 > 32767) throw new Error(`TEMPORAL_DEV_PORT ${frontend}: the cluster's membership ports (frontend - 300 …) must be below 32768`);
  return {
    frontend,
    frontendHttp: frontend + 10,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    frontendMembership: frontend - 300,
    historyMembership: frontend - 299,
    matchingMembership: frontend - 298,
    workerMembership: frontend - 294,
  };
}

const DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;

/** Idempotent: creates what is missing, then migrates both schemas to the tool's latest version. */
export async function setupTemporalSchema(db: PostgresEndpoint, log: (line: string) => void): Promise<void> {
  const base = ['--plugin', 'postgres12', '--ep', db.host, '-p', String(db.port), '-u', db.user, '--pw', db.password];
  for (const { name, schema } of DATABASES) {
    const url = `postgresql://${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}@${db.host}:${db.port}`;
    await createDatabaseIfMissing(`${url}/postgres`, name);
    if (!(await hasSchemaVersion(`${url}/${name}`))) {
      await run(clusterTools.temporalSql, [...base, '--db', name, 'setup-schema', '-v', '0.0']);
    }
    const dir = path.join(clusterTools.temporalSchemaDir, schema, 'versioned');
    await run(clusterTools.temporalSql, [...base, '--db', name, 'update-schema', '-d', dir]);
    log(`${name}: schema up to date (${dir.replace(projectRoot + path.sep, '')})`);
  }
}

async function hasSchemaVersion(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT to_regclass('public.schema_version') IS NOT NULL AS present");
    return rows[0].present === true;
  } finally {
    await client.end();
  }
}

/** The environment deploy/temporal/config.yaml reads (compose sets the same names). */
export function temporalServerEnv(db: PostgresEndpoint, ports: TemporalPorts, tls: ClusterTls): NodeJS.ProcessEnv {
  return {
    TEMPORAL_TLS_FRONTEND_CERT_FILE: tls.certFile,
    TEMPORAL_TLS_FRONTEND_KEY_FILE: tls.keyFile,
    TEMPORAL_TLS_FRONTEND_SERVER_NAME: tls.serverName,
    TEMPORAL_TLS_CA_FILE: tls.caFile,
    POSTGRES_SEEDS: db.host,
    DB_PORT: String(db.port),
    POSTGRES_USER: db.user,
    POSTGRES_PWD: db.password,
    DYNAMIC_CONFIG_FILE_PATH: TEMPORAL_DYNAMIC_CONFIG_FILE,
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
  };
}

export function startTemporalServer(stack: Stack, db: PostgresEndpoint, ports: TemporalPorts, tls: ClusterTls): Supervised {
  return stack.supervise('temporal', clusterTools.temporalServer, ['--config-file', TEMPORAL_CONFIG_FILE, '--allow-no-auth', 'start'], {
    // Only what the config needs, plus PATH/HOME: the server must not pick up our DATABASE_URL & co.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...temporalServerEnv(db, ports, tls) },
    // Its peers going away while we stop them is expected.
    mute: () => stack.shuttingDown,
  });
}
