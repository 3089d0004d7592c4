/**
 * Uploaded bytes in an S3-compatible bucket (SeaweedFS under `npm run cluster`
 * and docker-compose; AWS S3 or any other in production), so every gateway
 * reads the files any other received. Same content addressing as the local
 * disk store: key `blobs/<sha256[0..2]>/<sha256>`, identical bytes stored once.
 *
 * Receiving hashes, counts and sniffs while streaming, before anything is
 * stored. An upload whose request declares at most IN_MEMORY_BYTES is held in
 * memory until `commit` puts it into the bucket: no staged file is created,
 * written, read back and removed on the gateway's disk, which on a busy machine
 * cost at the p99 about as much as the bucket's own write (docs/operations.md, Shared state between
 * replicas). A larger
 * one (or one of unknown length) stages on the gateway's local disk, delegated to
 * the local store's staging; `commit` then streams the staged file into the
 * bucket and removes it. Either way the bytes are in the bucket before `commit`
 * returns. Downloads stream from the bucket.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { meter } from './meter';
import { leanPutter, type LeanPutObject } from './s3-put';
import type { BlobStore, ReceiveOptions, ReceivedBlob, StoredBlobInfo } from './store';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const SHA256 = /^[0-9a-f]{64}$/;
const PREFIX = 'blobs/';

/**
 * Uploads whose request declares at most this many bytes are held in memory until they are committed: most
 * documents and every photo. A gateway receiving 100 such uploads at once holds 100 MiB for them.
 */
const IN_MEMORY_BYTES = 1024 * 1024;

/** What the S3 store borrows from the local store: its staging area on this gateway's disk. */
export type LocalStaging = Pick<BlobStore, 'prepare' | 'receive' | 'readReceived' | 'discard' | 'removeStaleStaging'>;

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** @public Loaded on demand (`require` in store.ts), so an unconfigured gateway never loads the AWS SDK. */
export class S3BlobStore implements BlobStore {
  private readonly s3: S3Client;
  /** The commit's PutObject without the SDK's per-command cost (s3-put.ts); the SDK's when it fails. */
  private readonly leanPut: (object: LeanPutObject) => Promise<true | undefined>;
  private bucketReady?: Promise<void>;

  constructor(
    private readonly settings: S3Settings,
    private readonly staging: LocalStaging,
  ) {
    this.s3 = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      // Path-style addressing (http://host/bucket/key): what SeaweedFS and most self-hosted servers serve.
      forcePathStyle: true,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
    });
    const { credentials, sha256 } = this.s3.config;
    this.leanPut = leanPutter({ endpoint: settings.endpoint, region: settings.region, bucket: settings.bucket, credentials, sha256 });
  }

  keyOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return `${PREFIX}${sha256.slice(0, 2)}/${sha256}`;
  }

  /** The bucket, created on first use if missing (idempotent across gateways). */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.s3.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
      } catch {
        try {
          await this.s3.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
        } catch (e) {
          if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test((e as Error).name)) throw e;
        }
      }
    })().catch((e) => {
      this.bucketReady = undefined;
      throw e;
    });
    return this.bucketReady;
  }

  prepare(): void {
    this.staging.prepare();
    // The bucket checked (or created) now, with the client's first connection and request, rather than in the
    // first upload: measured on SeaweedFS, a new process's first upload spent 40–50 ms in its commit against
    // 20–25 ms once the bucket had been checked. A failure here is met again (and answered) by the first upload.
    this.ensureBucket().catch(() => {});
  }

  receive(input: Readable, opts: ReceiveOptions): Promise<ReceivedBlob> {
    if (opts.declaredBytes !== undefined && opts.declaredBytes <= IN_MEMORY_BYTES) return receiveInMemory(input, opts.maxBytes);
    return this.staging.receive(input, opts);
  }

  readReceived(blob: ReceivedBlob): Promise<Buffer> {
    return blob.bytes ? Promise.resolve(blob.bytes) : this.staging.readReceived(blob);
  }

  /** Puts the received bytes at their content address (from memory, or streamed from staging, then dropped there). Idempotent. */
  async commit(blob: ReceivedBlob): Promise<void> {
    await this.ensureBucket();
    const body = () => blob.bytes ?? fs.createReadStream(blob.stagingRef);
    const key = this.keyOf(blob.sha256);
    const stored = await this.leanPut({ key, body: body(), size: blob.size, sha256Hex: blob.sha256 });
    if (!stored) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: body(),
          ContentLength: blob.size,
          // The hash taken while receiving: the store checks the bytes against it, and the SDK does not read them
          // once more to compute a CRC32 of its own (its default), which cost a 2 MB upload about 15 ms.
          ChecksumSHA256: Buffer.from(blob.sha256, 'hex').toString('base64'),
        }),
      );
    }
    if (!blob.bytes) await this.staging.discard(blob);
  }

  discard(blob: ReceivedBlob): Promise<void> {
    return blob.bytes ? Promise.resolve() : this.staging.discard(blob);
  }

  async put(bytes: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.ensureBucket();
    await this.s3.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(sha256), Body: bytes, ContentLength: bytes.length }));
    return sha256;
  }

  async open(sha256: string): Promise<Readable | undefined> {
    await this.ensureBucket();
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(sha256) }));
      return res.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async has(sha256: string): Promise<boolean> {
    await this.ensureBucket();
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(sha256) }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async delete(sha256: string): Promise<void> {
    await this.ensureBucket();
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(sha256) }));
  }

  async *list(): AsyncIterable<StoredBlobInfo> {
    await this.ensureBucket();
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: PREFIX, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const sha256 = o.Key?.slice(o.Key.lastIndexOf('/') + 1) ?? '';
        if (SHA256.test(sha256)) yield { sha256, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  removeStaleStaging(olderThan: Date): Promise<number> {
    return this.staging.removeStaleStaging(olderThan);
  }
}

/**
 * Receives an upload into memory, measured as a staged one is. More bytes than IN_MEMORY_BYTES cannot come from a
 * request that declared fewer (the HTTP parser ends its body there); a stream that brings them anyway fails as
 * malformed rather than grow the gateway's memory.
 */
function receiveInMemory(input: Readable, maxBytes: number): Promise<ReceivedBlob> {
  // pipeline() never settles for a source destroyed before it starts (the request failed meanwhile).
  if (input.destroyed) return Promise.reject(new Error('the upload stream was closed before it was read'));
  const measured = meter(maxBytes);
  const chunks: Buffer[] = [];
  let held = 0;
  const memory = new Writable({
    write(chunk: Buffer, _enc, done) {
      held += chunk.length;
      if (held > IN_MEMORY_BYTES) return done(new Error('the upload brought more bytes than its request declared'));
      chunks.push(chunk);
      done();
    },
  });
  // Attached to `input` at once, before anything is awaited (BlobStore.receive).
  return pipeline(input, measured.transform, memory).then(() => ({ ...measured.received(), stagingRef: '', bytes: Buffer.concat(chunks) }));
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}
