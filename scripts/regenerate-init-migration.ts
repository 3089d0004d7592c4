/**
 * Until the first release there is one migration, regenerated from
 * schema.prisma. The JS schema engine cannot introspect (no `migrate dev` here),
 * but it can diff schema to schema; it wants a live connection, so a throwaway
 * embedded PostgreSQL is started for it.
 * After release: add migrations with `prisma migrate diff --from-schema-datamodel <released schema>`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { projectRoot } from '../src/paths';

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-migration-'));
  const db = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'data'), port: 54000 + Math.floor(Math.random() * 900), database: 'diff' });
  try {
    const sql = execFileSync(
      path.join(projectRoot, 'node_modules', '.bin', 'prisma'),
      ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { cwd: projectRoot, env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const out = path.join(projectRoot, 'prisma', 'migrations', '20261125000000_init', 'migration.sql');
    fs.writeFileSync(out, sql);
    console.log(`wrote ${path.relative(projectRoot, out)} (${sql.length} bytes)`);
  } finally {
    await db.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
