/**
 * The local staging of uploads, against a real folder: what a refused upload
 * leaves behind, however early the refusal comes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalDiskBlobStore } from '../../src/uploads/store';

describe('uploads: the local staging area', function () {
  this.timeout(60_000);
  let dir: string;
  let blobs: LocalDiskBlobStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-store-'));
    blobs = new LocalDiskBlobStore(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const staged = () => fs.readdirSync(blobs.stagingDir).filter((f) => f.endsWith('.part'));

  it('an upload whose connection fails before its staged file is even open leaves nothing staged', async () => {
    // A client that drops a moment after its headers: the request stream errors
    // while the staged file's open is still on its way. The store must not remove
    // the file before it exists, only for the open to create it afterwards.
    // (Found in CI: one .part left behind by a truncated upload; it happens about
    // once in a few thousand tries, so the test tries many times.)
    const TRIES = 8_000;
    let refused = 0;
    for (let i = 0; i < TRIES; i++) {
      const input = new PassThrough();
      const receiving = blobs.receive(input, { maxBytes: 1024 });
      input.write(Buffer.alloc(100, 1));
      input.destroy(new Error('the connection dropped'));
      await receiving.then(
        () => assert.fail('a dropped upload was accepted'),
        () => refused++,
      );
    }
    assert.equal(refused, TRIES);
    // Anything still on its way to the disk lands within this.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(staged(), []);
  });
});
