/**
 * `npm start` end to end: the launcher brings up embedded PostgreSQL, the
 * Temporal dev server with its UI and our search attributes, the worker and the
 * gateway; SIGTERM takes all of it down and frees every port.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { temporalCliPath } from '../../src/temporal/binaries';
import { registrationSearchAttributes } from '../../workflows/registration/search-attributes';
import { freePort } from '../support/env';

const portIsFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

describe('npm start (the whole stack on embedded defaults)', function () {
  this.timeout(180_000);
  let child: ChildProcess | undefined;
  let output = '';
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-start-'));

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(varDir, { recursive: true, force: true });
  });

  it('comes up ready, registers the search attributes, and stops cleanly on SIGTERM', async () => {
    const ports = { gateway: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/dev.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: '', TEMPORAL_ADDRESS: '',
        VAR_DIR: varDir, GATEWAY_PORT: String(ports.gateway), TEMPORAL_DEV_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.ui), EMBEDDED_PG_PORT: String(ports.pg), LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    await Promise.race([
      new Promise<void>((resolve) => {
        const timer = setInterval(() => /progreg is up/.test(output) && (clearInterval(timer), resolve()), 200);
      }),
      exited.then((code) => assert.fail(`launcher exited early (${code}):\n${output}`)),
    ]);

    const ready = await fetch(`http://localhost:${ports.gateway}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const ui = await fetch(`http://localhost:${ports.ui}/`);
    assert.equal(ui.status, 200);
    // npm install puts the CLI in .tools/; without it this would be a broken install, not a reason to skip.
    const cli = temporalCliPath();
    assert.ok(cli, 'the Temporal CLI is in .tools/');
    const list = execFileSync(cli, ['operator', 'search-attribute', 'list', '--address', `localhost:${ports.temporal}`], { encoding: 'utf8' });
    for (const key of registrationSearchAttributes) assert.match(list, new RegExp(`\\b${key.name}\\b`));
    assert.match(output, new RegExp(`PostgreSQL\\s+postgresql://postgres:\\*\\*\\*@127.0.0.1:${ports.pg}/progreg`));

    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    for (const [name, port] of Object.entries(ports)) assert.ok(await portIsFree(port), `${name} port ${port} still bound`);
    const leftovers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(varDir));
    assert.deepEqual(leftovers, []);
  });
});
