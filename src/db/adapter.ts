/**
 * Prisma driver adapter for PostgreSQL, used by the application and by the CLI
 * (prisma.config.ts). Prisma 6.19's adapter-pg needs three fixes before its
 * schema engine (migrate dev / deploy) works offline; the application client only
 * needs the plain adapter.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/** pg pool settings from a URL, spelled out: adapter-pg ignores the shadow database for a bare connectionString. */
export function poolConfig(databaseUrl: string): pg.PoolConfig {
  const u = new URL(databaseUrl);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
  };
}

/**
 * Bounded waits, generous enough for a burst on a busy machine (a new connection can take seconds): when PostgreSQL is down or frozen, a request must fail in seconds (the gateway
 * answers 503 + Retry-After, the projection retries) instead of hanging on a connection forever.
 */
const CONNECT_TIMEOUT_MS = 15_000;
const QUERY_TIMEOUT_MS = 30_000;

/** The application's pool and its adapter; the pool is the adapter's to end (the client's `$disconnect`). */
export function appAdapter(databaseUrl: string, max = 10): { adapter: PrismaPg; pool: pg.Pool } {
  const pool = new pg.Pool({ ...poolConfig(databaseUrl), max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true });
  // An idle connection the server closes (a restart, a failover, the end of a test run) is dropped by the pool, and
  // the next query opens another; the pool reports it as an 'error' event, which with no listener would end the
  // process. Prisma's adapter listens only once Prisma has connected; plain-sql.ts may use the pool before.
  pool.on('error', () => {});
  return { adapter: new PrismaPg(pool, { disposeExternalPool: true }), pool };
}

let catalogTypesPatched = false;
/**
 * The schema engine reads catalog columns of type "char" (oid 18) and name
 * (oid 19), which adapter-pg cannot map. Both are text on the wire, so rewrite
 * their row descriptions to text (oid 25). CLI only: the app never selects them.
 */
function mapCatalogTypesToText(): void {
  if (catalogTypesPatched) return;
  catalogTypesPatched = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Result = require('pg/lib/result.js') as { prototype: { addFields(fields: { dataTypeID: number }[]): void } };
  const addFields = Result.prototype.addFields;
  Result.prototype.addFields = function (fields) {
    for (const f of fields)
      if (f.dataTypeID === 18 || f.dataTypeID === 19) {
        f.dataTypeID = 25;
      }
    return addFields.call(this, fields);
  };
}

/** adapter-pg drops the shadow database while its own pool still holds it; close the pool first. */
class MigrationAdapter extends PrismaPg {
  constructor(private readonly cfg: pg.PoolConfig) {
    super(cfg);
  }
  override async connectToShadowDb() {
    const admin = await this.connect();
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg({ ...this.cfg, database }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.dispose();
    };
    return shadow;
  }
}

export function migrationAdapter(databaseUrl: string): PrismaPg {
  mapCatalogTypesToText();
  return new MigrationAdapter(poolConfig(databaseUrl));
}
