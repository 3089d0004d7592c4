/**
 * The launcher's restart policy (src/launcher/stack.ts), which `npm start` and
 * `npm run cluster` give their workers and gateways: a child that dies is
 * restarted after a pause that doubles while it keeps dying, with a loud line
 * each time; at the policy's limit of exits within the window the stack stops
 * everything and ends the process with exit code 1. Real child processes; the
 * whole `npm start` is in launcher.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nextRestart, RESTART_POLICY, Stack, type RestartPolicy } from '../../src/launcher/stack';

/** The line without the colours a terminal would get. */
const plain = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, '');

describe('launcher: restarting a child that dies', function () {
  this.timeout(30_000);
  const stacks: Stack[] = [];
  afterEach(() => Promise.all(stacks.splice(0).map((s) => s.shutdown())));

  it('the policy of npm start and the cluster: 0.5, 1, 2, 4 s between restarts, the 5th exit within a minute gives up, a quiet minute starts over', () => {
    const s = 1000;
    const step = (earlier: number[], now: number) => nextRestart(RESTART_POLICY, earlier, now);
    assert.deepEqual(step([], 0), { giveUp: false, exits: 1, delayMs: 500 });
    assert.deepEqual(step([0], 2 * s), { giveUp: false, exits: 2, delayMs: 1000 });
    assert.deepEqual(step([0, 2 * s], 5 * s), { giveUp: false, exits: 3, delayMs: 2000 });
    assert.deepEqual(step([0, 2 * s, 5 * s], 9 * s), { giveUp: false, exits: 4, delayMs: 4000 });
    assert.deepEqual(step([0, 2 * s, 5 * s, 9 * s], 15 * s), { giveUp: true, exits: 5 });
    // Four exits, but the first two more than a minute before this one: the third in the window.
    assert.deepEqual(step([0, 2 * s, 5 * s, 9 * s], 64 * s), { giveUp: false, exits: 3, delayMs: 2000 });
    // A child that ran well for longer than the window comes back after the shortest pause.
    assert.deepEqual(step([0, 2 * s, 5 * s, 9 * s], 200 * s), { giveUp: false, exits: 1, delayMs: 500 });
  });

  it('a child that keeps dying is restarted with growing pauses and a loud line each time, then the stack gives up: everything stopped, exit code 1', async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const stack = new Stack(
      'test',
      (l) => lines.push(plain(l)),
      (code) => exits.push(code),
    );
    stacks.push(stack);
    const policy: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 300, maxExits: 4, windowMs: 20_000 };
    const other = stack.supervise('other', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const crashing = stack.supervise('crashing', process.execPath, ['-e', 'console.log("starting"); process.exit(3)'], { restart: policy });
    while (exits.length === 0) await new Promise((r) => setTimeout(r, 20));

    assert.deepEqual(exits, [1]);
    assert.equal(lines.filter((l) => l === '[crashing] starting').length, 4, 'started once and restarted three times');
    assert.deepEqual(
      lines.filter((l) => l.includes('!!!')),
      [
        '[test] !!! crashing exited on its own (exit code 3); restarting it in 0.1 s (exit 1 within 20 s; the stack gives up at 4)',
        '[test] !!! crashing exited on its own (exit code 3); restarting it in 0.2 s (exit 2 within 20 s; the stack gives up at 4)',
        '[test] !!! crashing exited on its own (exit code 3); restarting it in 0.3 s (exit 3 within 20 s; the stack gives up at 4)',
        '[test] !!! crashing exited on its own (exit code 3), 4 times within 20 s; giving up and stopping the stack',
      ],
    );
    assert.equal(crashing.restarts(), 3);
    assert.notEqual(other.child().exitCode ?? other.child().signalCode, null, 'the other child was stopped with the stack');
    assert.equal(lines.at(-1), '[test] stopped');
  });

  it('a child killed once comes back as a new process and the stack goes on', async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const stack = new Stack(
      'test',
      (l) => lines.push(plain(l)),
      (code) => exits.push(code),
    );
    stacks.push(stack);
    const child = stack.supervise('server', process.execPath, ['-e', 'console.log("up " + process.pid); setInterval(() => {}, 1000)'], { restart: true });
    while (!lines.some((l) => l.startsWith('[server] up'))) await new Promise((r) => setTimeout(r, 20));
    const first = child.child().pid!;
    process.kill(first, 'SIGKILL');
    while (lines.filter((l) => l.startsWith('[server] up')).length < 2) await new Promise((r) => setTimeout(r, 20));
    assert.notEqual(child.child().pid, first);
    assert.equal(child.child().exitCode, null, 'the new process runs');
    assert.ok(
      lines.includes('[test] !!! server exited on its own (SIGKILL); restarting it in 0.5 s (exit 1 within 60 s; the stack gives up at 5)'),
      lines.join('\n'),
    );
    assert.equal(stack.shuttingDown, false);
    assert.deepEqual(exits, []);
  });

  it('a child without a restart policy that dies stops the stack (exit code 1)', async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const stack = new Stack(
      'test',
      (l) => lines.push(plain(l)),
      (code) => exits.push(code),
    );
    stacks.push(stack);
    stack.supervise('once', process.execPath, ['-e', 'process.exit(2)']);
    while (exits.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(exits, [1]);
    assert.ok(lines.includes('[test] !!! once exited on its own (exit code 2); stopping the stack'), lines.join('\n'));
  });

  it('restarted by hand (the drills): a child that dies is left for the caller to start again, its output in its log file, the stack going on', async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const stack = new Stack(
      'test',
      (l) => lines.push(plain(l)),
      (code) => exits.push(code),
    );
    stacks.push(stack);
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-supervision-')), 'gateway.log');
    const child = stack.supervise('gateway', process.execPath, ['-e', 'console.log("to stdout"); console.error("to stderr"); process.exit(3)'], {
      logFile: log,
      restart: 'by-hand',
    });
    await child.exited();
    await new Promise((r) => setTimeout(r, 600)); // longer than the shortest restart pause
    assert.equal(child.restarts(), 0);
    assert.equal(stack.shuttingDown, false);
    assert.deepEqual(exits, []);
    assert.deepEqual(lines, [], 'nothing printed: the output is in the file');
    assert.deepEqual(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).sort(), ['to stderr', 'to stdout']);
    fs.rmSync(path.dirname(log), { recursive: true, force: true });
  });
});
