/**
 * A stored upload survives a power cut, not only a crash: the workflow records the document as soon as the store's
 * commit returns. What reaches the disk is seen where it happens, in the system calls (strace), while a real store
 * receives and commits an upload in a process of its own.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { underCi } from '../support/go-tools';

const hasStrace = () => spawnSync('strace', ['-V']).status === 0;

/** Receives and commits one upload with the real store, in a process traced for fsync and rename. */
async function tracedCommit(dir: string): Promise<string[]> {
  const script = `
    const { PassThrough } = require('node:stream');
    const { LocalDiskBlobStore } = require(${JSON.stringify(path.resolve('src/uploads/store.ts'))});
    (async () => {
      const blobs = new LocalDiskBlobStore(${JSON.stringify(dir)});
      const input = new PassThrough();
      const receiving = blobs.receive(input, { maxBytes: 1 << 20 });
      input.end(Buffer.from('%PDF-1.4 a scanned passport'));
      await blobs.commit(await receiving);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const log = path.join(dir, 'strace.log');
  await promisify(execFile)(
    'strace',
    ['-f', '-y', '-o', log, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', process.execPath, '--import', 'tsx', '-e', script],
    {
      cwd: process.cwd(),
    },
  );
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /\b(fsync|fdatasync|rename\w*)\(/.test(l) && !l.includes('<unfinished') && / = 0$/.test(l))
    .map((l) =>
      l
        .replace(/^\d+\s+/, '')
        .replace(/^(\w+)\((?:\d+<([^>]*)>|"([^"]*)"[^)]*)\).*$/, (_, call: string, fdPath?: string, from?: string) => `${call} ${fdPath ?? from}`),
    );
}

describe('uploads: a committed upload is on the disk', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(function () {
    if (!hasStrace()) {
      if (underCi()) throw new Error('strace is missing: .ci/run installs it (apt) before npm test');
      console.log('      skipped: strace is not installed (Debian: apt-get install strace)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-durable-'));
  });
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("the file's data is synced before the rename that commits it, and the folders after it (a new shard folder's parent too)", async () => {
    const calls = (await tracedCommit(dir)).filter((c) => c.includes(dir));
    const staged = calls.find((c) => c.startsWith('rename'))?.split(' ')[1];
    assert.ok(staged?.startsWith(path.join(dir, 'tmp') + path.sep), `one rename from the staging folder: ${calls.join('; ')}`);
    // sha256 of the bytes above, written out by hand: `printf '%s' '%PDF-1.4 a scanned passport' | sha256sum`.
    const shard = path.join(dir, SHA.slice(0, 2));
    assert.deepEqual(
      calls.map((c) => c.replace(staged!, '<staged>')),
      ['fsync <staged>', 'rename <staged>', `fsync ${shard}`, `fsync ${dir}`],
    );
    assert.ok(fs.existsSync(path.join(shard, SHA)));
  });
});

const SHA = '5cafc6a343d51a3f5a8b26fbd83f936586279d7e505ae2e110ac62af2776fe20';
