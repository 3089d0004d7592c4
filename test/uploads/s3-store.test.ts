/**
 * The S3 blob store against a real SeaweedFS (the cluster's; built into
 * .tools/go by `npm run setup:cluster`, which .ci/run runs): content addressing,
 * the size cut-off while streaming, downloads, listing and deletion behave as
 * on the local disk, and a second store on the same bucket (another gateway)
 * reads what the first committed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { freeClusterPorts } from '../../src/cluster/free-ports';
import { growBucketVolumes, startSeaweedfs, type SeaweedPorts } from '../../src/cluster/seaweedfs';
import { Stack, waitForReady } from '../../src/launcher/stack';
import { BlobTooLargeError } from '../../src/uploads/meter';
import { leanPutter } from '../../src/uploads/s3-put';
import { createBlobStore, type BlobStore } from '../../src/uploads/store';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { requireGoTools } from '../support/go-tools';

describe('uploads: S3-compatible store on SeaweedFS', function () {
  this.timeout(15 * 60_000);
  const credentials = { accessKeyId: 's3-test', secretAccessKey: 's3-test-secret' };
  let stack: Stack;
  let dir: string;
  let a: BlobStore;
  let b: BlobStore;
  let ports: SeaweedPorts;
  let storeFor: (gateway: string, bucket?: string) => BlobStore;

  before(async function () {
    requireGoTools(this, ['seaweedfs']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progreg-s3-'));
    stack = new Stack('s3-test', () => {});
    ({ s3: ports } = await freeClusterPorts(0));
    startSeaweedfs(stack, { dataDir: path.join(dir, 'weed'), ports, credentials });
    await waitForReady(`http://127.0.0.1:${ports.s3}`, 60_000, () => true);
    storeFor = (gateway, bucket = 'uploads-test') =>
      createBlobStore({
        uploadDir: path.join(dir, gateway),
        S3_ENDPOINT: `http://127.0.0.1:${ports.s3}`,
        S3_BUCKET: bucket,
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      });
    a = storeFor('gateway-a');
    b = storeFor('gateway-b');
  });

  after(async () => {
    await stack?.shutdown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores by content address; the other gateway reads it; identical bytes are one object', async () => {
    const bytes = Buffer.from(`%PDF-1.4 a document ${Date.now()}\n`.repeat(1000));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const received = await a.receive(Readable.from([bytes]), { maxBytes: 1_000_000 });
    assert.equal(received.sha256, sha);
    assert.equal(received.size, bytes.length);
    await a.commit(received);
    assert.equal(fs.readdirSync(path.join(dir, 'gateway-a', 'tmp')).length, 0, 'the staged copy is gone after the commit');
    assert.ok(await b.has(sha));
    assert.equal(await text((await b.open(sha))!), bytes.toString());
    assert.equal(await b.put(bytes), sha);
    const listed = [];
    for await (const blob of b.list()) if (blob.sha256 === sha) listed.push(blob);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.size, bytes.length);
    await b.delete(sha);
    assert.equal(await a.has(sha), false);
    assert.equal(await a.open(sha), undefined);
  });

  const staged = () => fs.readdirSync(path.join(dir, 'gateway-a', 'tmp'));

  it('holds an upload whose request declares at most 1 MiB in memory: no staged file on disk, in the bucket once committed', async () => {
    const bytes = Buffer.from(`%PDF-1.4 a small scan ${Date.now()}\n`.repeat(20_000)).subarray(0, 1024 * 1024 - 300);
    const sha = createHash('sha256').update(bytes).digest('hex');
    // What the gateway passes: the request's Content-Length, the file plus its multipart envelope.
    const received = await a.receive(Readable.from([bytes.subarray(0, 4000), bytes.subarray(4000)]), {
      maxBytes: 10_000_000,
      declaredBytes: bytes.length + 300,
    });
    assert.deepEqual(staged(), [], 'nothing staged on the disk while it waits for its checks');
    assert.equal(received.sha256, sha);
    assert.equal(received.size, bytes.length);
    assert.deepEqual(received.head, bytes.subarray(0, 4100), 'the leading bytes, for type detection');
    assert.ok((await a.readReceived(received)).equals(bytes), 'the photo check reads the bytes received');
    assert.equal(await a.has(sha), false, 'not stored before the commit');
    await a.commit(received);
    assert.equal(await text((await b.open(sha))!), bytes.toString(), 'the other gateway reads what was committed');
    await b.delete(sha);
  });

  it('stages on the disk an upload declared larger than 1 MiB, or of no declared length', async () => {
    const bytes = Buffer.alloc(1024 * 1024 + 1, 3);
    for (const declaredBytes of [bytes.length + 300, undefined]) {
      const received = await a.receive(Readable.from([bytes]), { maxBytes: 10_000_000, ...(declaredBytes ? { declaredBytes } : {}) });
      assert.equal(staged().length, 1, `staged on the disk (declared ${declaredBytes})`);
      await a.commit(received);
      assert.deepEqual(staged(), []);
      assert.ok(await b.has(received.sha256));
      await b.delete(received.sha256);
    }
  });

  it('refuses, holding nothing, an upload held in memory that brings more than 1 MiB or more than its limit', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 5);
    await assert.rejects(
      a.receive(Readable.from([big.subarray(0, 600_000), big.subarray(600_000)]), { maxBytes: 10_000_000, declaredBytes: 1000 }),
      /more bytes than its request declared/,
    );
    await assert.rejects(
      a.receive(Readable.from([big.subarray(0, 150_000), big.subarray(150_000, 300_000)]), { maxBytes: 200_000, declaredBytes: 300_000 }),
      BlobTooLargeError,
    );
    assert.deepEqual(staged(), []);
    assert.equal(await a.has(createHash('sha256').update(big).digest('hex')), false);
  });

  /** The volume files SeaweedFS keeps for a bucket (its collection): `<bucket>_<volume id>.dat`. */
  const volumesOf = (bucket: string) => fs.readdirSync(path.join(dir, 'weed')).filter((f) => f.startsWith(`${bucket}_`) && f.endsWith('.dat'));

  it("as the cluster sets SeaweedFS up, the bucket's volumes are there before its first write, and are grown once", async () => {
    assert.deepEqual(volumesOf('grown-test'), [], 'no volumes before');
    await growBucketVolumes(ports, 'grown-test');
    // SeaweedFS's growth for one copy (master.volume_growth.copy_1): 7 volumes, each up to -master.volumeSizeLimitMB.
    assert.equal(volumesOf('grown-test').length, 7);
    const info = (await (await fetch(`http://127.0.0.1:${ports.master}/collection/info?collection=grown-test`)).json()) as { FileCount: number };
    assert.equal(info.FileCount, 0, 'nothing written to grow them');
    await growBucketVolumes(ports, 'grown-test');
    const store = storeFor('gateway-grown', 'grown-test');
    const sha = await store.put(Buffer.from('%PDF-1.4 written to grown volumes\n'));
    assert.ok(await store.has(sha));
    assert.equal(volumesOf('grown-test').length, 7, 'neither a second call nor the first write grew more');
  });

  it('creates its bucket when the gateway starts (prepare), before any upload', async () => {
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${ports.s3}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    });
    const bucketExists = () =>
      client.send(new HeadBucketCommand({ Bucket: 'prepared-test' })).then(
        () => true,
        () => false,
      );
    assert.equal(await bucketExists(), false);
    storeFor('gateway-prepared', 'prepared-test').prepare();
    const until = Date.now() + 30_000;
    while (!(await bucketExists()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await bucketExists(), true);
    client.destroy();
  });

  describe('the commit as one signed request (s3-put.ts)', () => {
    const keyOf = (sha: string) => `blobs/${sha.slice(0, 2)}/${sha}`;
    /** A put signed as an S3 client with this secret signs (its credentials provider and hash). */
    const putterWith = (secretAccessKey: string) => {
      const s3 = new S3Client({
        endpoint: `http://127.0.0.1:${ports.s3}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey },
      });
      const { credentials: signWith, sha256 } = s3.config;
      const put = leanPutter({ endpoint: `http://127.0.0.1:${ports.s3}`, region: 'us-east-1', bucket: 'uploads-test', credentials: signWith, sha256 });
      return { put, s3 };
    };

    it('stores the bytes under their key, checked against their SHA-256; a wrong hash or wrong credentials store nothing and say so', async () => {
      const { put, s3 } = putterWith(credentials.secretAccessKey);
      const bytes = Buffer.from(`%PDF-1.4 put in one request ${Date.now()}\n`);
      const sha = createHash('sha256').update(bytes).digest('hex');
      assert.equal(await put({ key: keyOf(sha), body: bytes, size: bytes.length, sha256Hex: sha }), true);
      assert.equal(await text((await b.open(sha))!), bytes.toString(), 'another gateway reads the bytes');

      const other = Buffer.from(`%PDF-1.4 not these bytes ${Date.now()}\n`);
      const otherSha = createHash('sha256').update(other).digest('hex');
      assert.equal(await put({ key: keyOf(otherSha), body: other, size: other.length, sha256Hex: sha }), undefined, 'bytes that are not the hash');
      assert.equal(await b.has(otherSha), false);

      const { put: unsigned, s3: stranger } = putterWith('not-the-secret');
      assert.equal(await unsigned({ key: keyOf(otherSha), body: other, size: other.length, sha256Hex: otherSha }), undefined, 'a signature the store refuses');
      assert.equal(await b.has(otherSha), false);
      await b.delete(sha);
      s3.destroy();
      stranger.destroy();
    });

    it('destroys a streamed body when the store drops the connection mid-body, so a staged file is closed', async () => {
      // A store that reads the request's first 200 KB and then drops the connection.
      const dropping = net.createServer((socket) => {
        let read = 0;
        socket.on('data', (d: Buffer) => {
          read += d.length;
          if (read > 200_000) socket.destroy();
        });
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
      const s3 = new S3Client({ region: 'us-east-1', credentials: { ...credentials } });
      const put = leanPutter({
        endpoint: `http://127.0.0.1:${(dropping.address() as net.AddressInfo).port}`,
        region: 'us-east-1',
        bucket: 'uploads-test',
        credentials: s3.config.credentials,
        sha256: s3.config.sha256,
      });
      // Brought slowly, as from a busy disk: 48 chunks of 64 KiB, the connection dropped after about 3 of them.
      const chunk = Buffer.alloc(64 * 1024, 9);
      let sent = 0;
      const body = new Readable({
        read() {
          setTimeout(() => this.push(sent++ < 48 ? chunk : null), 20);
        },
      });
      const sha = createHash('sha256')
        .update(Buffer.concat(Array.from({ length: 48 }, () => chunk)))
        .digest('hex');
      assert.equal(await put({ key: keyOf(sha), body, size: 48 * chunk.length, sha256Hex: sha }), undefined);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(body.destroyed, `the body is destroyed (${sent} of 48 chunks read)`);
      assert.ok(sent < 48, 'and was not read to its end');
      s3.destroy();
      dropping.close();
    });

    it("commits through a store that drops the first connection: the SDK's put takes over", async () => {
      // A proxy in front of SeaweedFS that closes the first connection it accepts, unanswered, and relays the rest.
      let accepted = 0;
      const proxy = net.createServer((socket) => {
        if (accepted++ === 0) return void socket.destroy();
        const upstream = net.connect(ports.s3, '127.0.0.1');
        socket.pipe(upstream).pipe(socket);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const store = createBlobStore({
        uploadDir: path.join(dir, 'gateway-proxied'),
        S3_ENDPOINT: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
        S3_BUCKET: 'uploads-test',
        S3_REGION: 'us-east-1',
        S3_ACCESS_KEY_ID: credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      });
      const bytes = Buffer.from(`%PDF-1.4 through a dropped connection ${Date.now()}\n`);
      const received = await store.receive(Readable.from([bytes]), { maxBytes: 1_000_000, declaredBytes: bytes.length });
      await store.commit(received);
      assert.ok(accepted >= 2, `the SDK connected again (${accepted} connections)`);
      assert.equal(await text((await b.open(received.sha256))!), bytes.toString());
      await b.delete(received.sha256);
      proxy.close();
    });
  });

  it('cuts an upload off past its limit, leaving nothing staged or stored', async () => {
    const big = Buffer.alloc(300_000, 7);
    await assert.rejects(a.receive(Readable.from([big.subarray(0, 150_000), big.subarray(150_000)]), { maxBytes: 200_000 }), BlobTooLargeError);
    assert.equal(fs.readdirSync(path.join(dir, 'gateway-a', 'tmp')).length, 0);
    assert.equal(await a.has(createHash('sha256').update(big).digest('hex')), false);
  });
});
