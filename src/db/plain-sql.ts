/**
 * Plain SQL on the pool the Prisma client runs on, for the few statements that
 * most gateway requests wait for: a student session's revocation check, the
 * rate-limit count, an upload's read-model check and its claim on the bytes.
 * Prisma's client spends CPU on every statement before and after the database
 * does (its query plan, its value conversions), and the gateway runs on one
 * thread: measured with a local PostgreSQL (8 December), per statement,
 * `findUnique` 1.0 ms of CPU (1.6 ms from call to answer), `$queryRaw` 0.5 ms
 * (1.1 ms), an `upsert` 1.1 ms (2.6 ms), node-postgres on the same pool 0.07 ms
 * (0.2 ms). Prisma stays the home of the schema, the migrations and every other
 * statement; these ones are written out here in SQL, beside their own module.
 *
 * Conversions are node-postgres's, not Prisma's: `int8` and `numeric` come back
 * as strings, `jsonb` parsed. Prisma keeps a DateTime as `timestamp(3)` holding
 * UTC, and node-postgres would read one in the process's time zone: a statement
 * here reads one as `"col" AT TIME ZONE 'UTC'` and writes `now() AT TIME ZONE
 * 'UTC'`, so neither the process's nor the session's time zone matters.
 */
import type pg from 'pg';

/** The pool of each client `createPrisma` made (the adapter's own, shared). */
const pools = new WeakMap<object, pg.Pool>();

export function registerPool(client: object, pool: pg.Pool): void {
  pools.set(client, pool);
}

/**
 * A tag for one statement on the client's pool: `` await plainSql(prisma)<Row>`SELECT … WHERE id = ${id}` ``. The values
 * are sent as parameters ($1, $2, …), never spliced into the text.
 */
export function plainSql(client: object) {
  const pool = pools.get(client);
  if (!pool) throw new Error('plainSql: a client made by createPrisma (src/db/prisma.ts) is needed, for its pool');
  return async <R>(strings: TemplateStringsArray, ...values: unknown[]): Promise<R[]> => {
    const text = strings.reduce((sql, part, i) => `${sql}$${i}${part}`);
    return (await pool.query(text, values)).rows as R[];
  };
}
