import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findStaffKey } from '../../src/gateway/auth/staff-keys';
import { projectRoot } from '../../src/paths';
import { eventually } from './support';
import { syntheticStudents, toCsv } from '../kit/synthetic-students';
import { Worker } from '@temporalio/worker';
import { activityDepsFromConfig, createActivities } from '../../activities';
import { importWorkerOptions } from '../../activities/import';
import { loadConfig } from '../../src/config';
import { database, devServerEnv, freePort, uniq, workflowBundle } from '../kit/servers';
import { dataConverter } from '../../src/temporal/data-converter';
import { DEV_PAYLOAD_KEYS } from '../../src/config/variables';
import { workerTracing } from '../../src/temporal/worker-options';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, script), ...args], { env: { ...process.env, ...env }, cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('command-line tools and the gateway process', function () {
  this.timeout(120_000);
  let env: NodeJS.ProcessEnv;
  let workers: Worker[] = [];
  let running: Promise<unknown>;
  before(async () => {
    const [db, temporal] = await Promise.all([database(), devServerEnv()]);
    // The tools run as in production: with payload keys of their own, which the worker holds too (beside the
    // development key of the harness's client, which starts the registrations).
    const cliKey = `cli-${uniq()}:${randomBytes(32).toString('base64')}`;
    env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: uniq('cli'),
      VAR_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-cli-')),
      LOG_LEVEL: 'warn',
      TEMPORAL_PAYLOAD_KEYS: cliKey,
    };
    // The CLI starts the import workflow on the import queue; the worker process's two Workers run it and the registrations it starts.
    const config = loadConfig({ ...env, NODE_ENV: 'test' });
    const shared = {
      connection: temporal.nativeConnection,
      workflowBundle: await workflowBundle(),
      ...workerTracing(),
      dataConverter: dataConverter(loadConfig({ NODE_ENV: 'test', TEMPORAL_PAYLOAD_KEYS: `${cliKey},${DEV_PAYLOAD_KEYS}` }).payloadKeys),
    };
    workers = [
      await Worker.create({
        ...shared,
        taskQueue: env.TEMPORAL_TASK_QUEUE!,
        activities: createActivities(activityDepsFromConfig(config, db.prisma)),
      }),
      await Worker.create({ ...shared, ...importWorkerOptions({ prisma: db.prisma, temporal: temporal.client, config }) }),
    ];
    running = Promise.all(workers.map((w) => w.run()));
  });
  after(async () => {
    for (const w of workers) w.shutdown();
    await running;
  });

  it('npm run staff-key creates a key that works, lists it without the key, and refuses bad arguments', async () => {
    const name = uniq('Alice ');
    const made = await run('src/cli/staff-key.ts', ['--name', name, '--role', 'admin'], env);
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.trim();
    assert.match(key, /^pgk_[0-9a-f]{8}_\S+$/);
    const found = await findStaffKey((await database()).prisma, key);
    assert.equal(found?.name, name);
    assert.equal(found?.role, 'admin');
    const list = await run('src/cli/staff-key.ts', ['--list'], env);
    assert.equal(list.code, 0);
    assert.ok(list.stdout.includes(name));
    assert.ok(!list.stdout.includes(key));
    const bad = await run('src/cli/staff-key.ts', ['--name', 'Bob', '--role', 'superuser'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Usage/);
  });

  it('npm run import starts the valid rows, reports the rejected ones, and starts nothing new the second time', async () => {
    const rows = syntheticStudents({ count: 20, prefix: uniq('C').toUpperCase(), cohortId: uniq('cli-'), registrationDeadline: '2099-08-31' });
    const csv = toCsv(rows) + `${rows[0]!.applicationNo}X,Nobody,not-an-email,BSC-COMP,UG,JUPAS,LOCAL,${rows[0]!.cohortId},2099-08-31,,\n`;
    const file = path.join(env.VAR_DIR!, 'cohort.csv');
    fs.writeFileSync(file, csv);
    const first = await run('src/cli/import.ts', [file], env);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /rows 21 · valid 20 · rejected 1/);
    assert.match(first.stdout, /started 20 · already registered 0 · failed 0/);
    assert.match(first.stdout, /line 22 \(\w+X\): personalEmail/);
    const again = await run('src/cli/import.ts', [file], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /started 0 · already registered 20/);
    assert.match(again.stdout, /this file was imported before/);
    const missing = await run('src/cli/import.ts', [path.join(env.VAR_DIR!, 'nope.csv')], env);
    assert.equal(missing.code, 2);
  });

  it('npm run import --dry-run prints what the import would do and starts nothing: no workflow, no job, no email', async () => {
    const rows = syntheticStudents({ count: 5, prefix: uniq('D').toUpperCase(), cohortId: uniq('dry-'), registrationDeadline: '2099-08-31' });
    const csv = toCsv(rows) + `${rows[0]!.applicationNo}X,,nobody@example.com,BSC-COMP,UG,JUPAS,LOCAL,${rows[0]!.cohortId},2099-08-31,,\n`;
    const file = path.join(env.VAR_DIR!, 'dry.csv');
    fs.writeFileSync(file, csv);
    const dry = await run('src/cli/import.ts', [file, '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr + dry.stdout);
    assert.match(dry.stdout, /nothing has been started/);
    assert.match(dry.stdout, /rows 6 · new registrations 5 · already registered 0 · refused 1/);
    assert.match(dry.stdout, /invitation emails the import would send: 5/);
    assert.match(dry.stdout, /line 7 \(\w+X\): name: is missing/);
    const { prisma } = await database();
    const { client } = await devServerEnv();
    assert.equal(await prisma.importJob.count({ where: { source: 'dry.csv' } }), 0, 'no import job');
    assert.equal(await prisma.registration.count({ where: { applicationNo: { in: rows.map((r) => r.applicationNo) } } }), 0);
    for (const r of rows) {
      await assert.rejects(client.workflow.getHandle(`registration-${r.applicationNo}`).describe(), /not found/i, `no workflow for ${r.applicationNo}`);
    }
    assert.equal(await prisma.emailLog.count({ where: { registrationNo: { in: rows.map((r) => r.applicationNo) } } }), 0, 'no email');
    const outbox = path.join(env.VAR_DIR!, 'outbox');
    assert.deepEqual(
      rows.filter((r) => fs.existsSync(path.join(outbox, r.applicationNo))),
      [],
      'nothing in the outbox',
    );
    // The same file imported for real starts the five the report promised.
    const real = await run('src/cli/import.ts', [file], env);
    assert.equal(real.code, 0, real.stderr + real.stdout);
    assert.match(real.stdout, /started 5 · already registered 0 · failed 0/);
    // Where the dry run's emails would have been: the real import's invitations land there.
    await eventually(
      async () => rows.filter((r) => fs.existsSync(path.join(outbox, r.applicationNo))).length,
      (n) => n === rows.length,
      30_000,
    );
  });

  it('the gateway process serves until SIGTERM, then stops cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/gateway/server.ts')], {
      env: { ...process.env, ...env, NODE_ENV: 'test', GATEWAY_PORT: String(port), LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const until = Date.now() + 60_000;
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (res?.status === 200) break;
        if (Date.now() > until) throw new Error(`gateway not ready: ${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.match(out, /gateway stopped/);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the port is released');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
