/**
 * Cohort import throughput: imports N synthetic students (default 5,000) into
 * a real Temporal dev server while the production worker (src/worker.ts, in
 * its own process as in production) runs the real registration workflows and
 * activities (emails to the outbox, projection to PostgreSQL). Prints students
 * per second for the first import and for the same file again (idempotent:
 * nothing new started), then how long the read model takes to hold them all.
 *
 *   npm run bench:import -- --count 5000 --concurrency 32
 *   npm run bench:import -- --address localhost:7233   against a running server (e.g. npm start's),
 *                                                    instead of an in-memory dev server of its own
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { dataConverter } from '../src/temporal/data-converter';
import { beginImport, watchImport } from '../src/import';
import { projectRoot } from '../src/paths';
import { database, devServerEnv } from '../test/kit/servers';
import { stopAll } from '../test/kit/lifetime';
import { syntheticStudents, toCsv } from '../test/kit/synthetic-students';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '32' },
      'skip-projection': { type: 'boolean' },
      address: { type: 'string' },
    },
  });
  const count = Number(values.count);
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-bench-'));
  const t = Date.now();
  const [db, temporal] = await Promise.all([
    database(),
    values.address
      ? Connection.connect({ address: values.address }).then(
          (connection) => new Client({ connection, dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test' }).payloadKeys) }),
        )
      : devServerEnv().then((e) => e.client),
  ]);
  const address = values.address ?? (await devServerEnv()).address;
  const settings = { NODE_ENV: 'development', VAR_DIR: varDir, TEMPORAL_TASK_QUEUE: 'bench', IMPORT_CONCURRENCY: values.concurrency, LOG_LEVEL: 'warn' };
  const config = loadConfig(settings);

  // The import itself runs in the worker (the cohort import workflow).
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'worker.ts')], {
    env: { ...process.env, ...settings, DATABASE_URL: db.url, TEMPORAL_ADDRESS: address },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const workerExited = new Promise((r) => worker.once('exit', r));
  console.log(
    `stack up in ${((Date.now() - t) / 1000).toFixed(1)} s (embedded PostgreSQL, Temporal ${values.address ?? 'dev server (in memory)'}, worker process)`,
  );

  const cohortId = `bench-${Date.now().toString(36)}`;
  const csv = toCsv(
    syntheticStudents({
      count,
      prefix: `BN${Date.now().toString(36).toUpperCase()}`,
      cohortId,
      registrationDeadline: new Date(Date.now() + 60 * 86400_000).toISOString(),
    }),
  );
  const deps = { prisma: db.prisma, temporal, config };
  const run = async (label: string) => {
    const t0 = Date.now();
    const { job } = await beginImport(deps, { format: 'csv', text: csv }, { actor: 'bench' });
    const r = await watchImport(db.prisma, job.id, undefined, 50);
    const s = (Date.now() - t0) / 1000;
    console.log(
      `${label}: ${r.valid} students in ${s.toFixed(1)} s = ${Math.round(r.valid / s)} students/s (started ${r.started}, existing ${r.existing}, failed ${r.failed}, rejected ${r.rejected.length})`,
    );
  };
  try {
    await run(`import of ${count} (concurrency ${config.IMPORT_CONCURRENCY})`);
    await run('same file again');
    if (!values['skip-projection']) {
      const t0 = Date.now();
      for (;;) {
        const n = await db.prisma.registration.count({ where: { cohortId } });
        if (n >= count || Date.now() - t0 > 600_000) {
          console.log(`read model: ${n}/${count} registrations projected ${((Date.now() - t0) / 1000).toFixed(1)} s after the import finished`);
          break;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    worker.kill('SIGTERM');
    await workerExited;
    if (values.address) await temporal.connection.close();
    await stopAll();
    fs.rmSync(varDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
