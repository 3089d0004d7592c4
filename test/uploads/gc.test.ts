/**
 * The cleanup of unreferenced stored bytes and of staged uploads left behind:
 * against the test PostgreSQL and a real upload folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { projectRoot } from '../../src/paths';
import { collectUnreferencedBlobs, startBlobMaintenance } from '../../src/uploads/gc';
import { claimStoredFile } from '../../src/uploads/stored-files';
import { LocalDiskBlobStore } from '../../src/uploads/store';
import { database, uniq } from '../kit/servers';
import { createRegistration } from '../support/registration-row';

const HOUR = 3600_000;
const GRACE = HOUR;

describe('uploads: cleanup of unreferenced blobs and stale staged files', function () {
  this.timeout(60_000);
  let dir: string;
  let blobs: LocalDiskBlobStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-gc-'));
    blobs = new LocalDiskBlobStore(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ago = (ms: number) => new Date(Date.now() - ms);
  /** Stores bytes as an upload does (row claimed, bytes committed), received `age` ago. */
  async function stored(text: string, age: number): Promise<string> {
    const { prisma } = await database();
    const sha256 = await blobs.put(Buffer.from(`${text} ${uniq('')}`));
    await claimStoredFile(prisma, { sha256, size: 10, mediaType: 'application/pdf' });
    await prisma.storedFile.update({ where: { sha256 }, data: { lastReceivedAt: ago(age), pending: 0 } });
    fs.utimesSync(blobs.pathOf(sha256), ago(age), ago(age));
    return sha256;
  }
  /** A Document row of a new registration for these bytes (`removedAt`: a page removed before it was sent). */
  async function referencedBy(sha256: string, page: { page?: number; removedAt?: Date } = {}): Promise<string> {
    const { prisma } = await database();
    const no = uniq('G');
    await prisma.cohort.createMany({ data: [{ id: 'cohort-gc-test', registrationDeadline: new Date(), policy: {} }], skipDuplicates: true });
    await createRegistration(prisma, { applicationNo: no, cohortId: 'cohort-gc-test' });
    await prisma.document.create({
      data: {
        registrationNo: no,
        itemKey: 'ID_DOCUMENT',
        version: 1,
        sha256,
        originalName: 'id.pdf',
        size: 10,
        mediaType: 'application/pdf',
        uploadedBy: 'student',
        ...page,
      },
    });
    return no;
  }
  /** Bytes on disk with no row at all, written `age` ago. */
  async function unrecorded(text: string, age: number): Promise<string> {
    const sha256 = await blobs.put(Buffer.from(`${text} ${uniq('')}`));
    fs.utimesSync(blobs.pathOf(sha256), ago(age), ago(age));
    return sha256;
  }
  function staged(owner: string, age: number): string {
    fs.mkdirSync(blobs.stagingDir, { recursive: true });
    const file = path.join(blobs.stagingDir, `${owner}~${randomUUID()}.part`);
    fs.writeFileSync(file, 'partial upload');
    fs.utimesSync(file, ago(age), ago(age));
    return file;
  }
  const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
  /** A pid no process has (pids are below 2^22 on Linux). */
  const DEAD_PID = 4_194_304 + 17;

  it('removes bytes no document references once the grace period is over; keeps referenced, recent and unrecorded-but-recent ones', async () => {
    const { prisma } = await database();
    const orphan = await stored('orphan', 2 * HOUR);
    const referenced = await stored('referenced', 2 * HOUR);
    await referencedBy(referenced);
    const inFlight = await stored('an upload waiting for the workflow', 5 * 60_000);
    const strayOld = await unrecorded('left by an older version', 2 * HOUR);
    const strayNew = await unrecorded('being committed right now', 1000);

    const report = await collectUnreferencedBlobs({ prisma, blobs }, { graceMs: GRACE });
    assert.equal(report.removedUnrecorded, 1);
    assert.ok(report.removedRecords >= 1);
    assert.equal(await blobs.has(orphan), false);
    assert.equal(await prisma.storedFile.count({ where: { sha256: orphan } }), 0);
    assert.equal(await blobs.has(strayOld), false);
    assert.equal(await prisma.storedFile.count({ where: { sha256: strayOld } }), 0, 'the lock row it took is gone again');
    for (const kept of [referenced, inFlight, strayNew]) assert.equal(await blobs.has(kept), true, kept);
    assert.equal(await prisma.storedFile.count({ where: { sha256: { in: [referenced, inFlight] } } }), 2);
  });

  it('a page removed before its submission was sent holds nothing: its bytes and its row go; bytes a kept page shares stay', async () => {
    const { prisma } = await database();
    const removed = await stored('a page the student took out', 2 * HOUR);
    const no = await referencedBy(removed, { page: 1, removedAt: ago(HOUR) });
    const shared = await stored('removed once, kept on another page', 2 * HOUR);
    await referencedBy(shared, { page: 2, removedAt: ago(HOUR) });
    await referencedBy(shared, { page: 1 });

    await collectUnreferencedBlobs({ prisma, blobs }, { graceMs: GRACE });
    assert.equal(await blobs.has(removed), false);
    assert.equal(await prisma.storedFile.count({ where: { sha256: removed } }), 0);
    assert.equal(await prisma.document.count({ where: { registrationNo: no } }), 0, "the removed page's row went with its bytes");
    assert.equal(await blobs.has(shared), true);
    assert.equal(await prisma.document.count({ where: { sha256: shared } }), 2, 'nothing of bytes still referenced is touched');
  });

  it('an upload that claims the bytes again restarts their grace period', async () => {
    const { prisma } = await database();
    const sha256 = await stored('claimed again', 2 * HOUR);
    await claimStoredFile(prisma, { sha256, size: 10, mediaType: 'application/pdf' });
    await collectUnreferencedBlobs({ prisma, blobs }, { graceMs: GRACE });
    assert.equal(await blobs.has(sha256), true);
  });

  it("staged uploads: those of a dead process go at gateway start, a live process's recent one stays, any old one goes", async () => {
    const { prisma } = await database();
    const dead = staged(`${HOST}~${DEAD_PID}`, 1000);
    const mineFromBefore = staged(`${HOST}~${process.pid}`, 1000); // a restarted container has the same pid
    const liveRecent = staged(`${HOST}~${process.ppid}`, 1000);
    const otherHostRecent = staged('another-gateway~1', 1000);
    const otherHostOld = staged('another-gateway~1', 2 * HOUR);
    const stop = startBlobMaintenance({ prisma, blobs, logger: pino({ level: 'silent' }) }, { graceMs: GRACE, intervalMs: 0 });
    stop();
    const left = () => fs.readdirSync(blobs.stagingDir).map((f) => path.join(blobs.stagingDir, f));
    await eventuallyTrue(() => left().length === 2);
    assert.ok(!fs.existsSync(dead));
    assert.ok(!fs.existsSync(mineFromBefore));
    assert.ok(!fs.existsSync(otherHostOld));
    assert.deepEqual(left().sort(), [liveRecent, otherHostRecent].sort());
  });

  it('npm run blobs:gc removes unreferenced bytes and says what it did', async () => {
    const { url } = await database();
    const orphan = await stored('for the command', 2 * HOUR);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/blobs-gc.ts'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: url, UPLOAD_DIR: dir, LOG_LEVEL: 'silent' },
    });
    assert.match(stdout, /Removed \d+ unreferenced stored file\(s\), 0 unrecorded file\(s\) and 0 stale staged upload\(s\)/);
    assert.equal(await blobs.has(orphan), false);
  });
});

async function eventuallyTrue(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !check();) {
    if (Date.now() > until) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
