/**
 * Where uploaded bytes live, addressed by their sha256 so identical bytes are
 * stored once. `BlobStore` is what the gateway's routes and the cleanup use;
 * `createBlobStore` is the one place that picks an implementation (today the
 * local disk; an S3-compatible store can be added behind the same interface).
 *
 * An upload is received in two steps so that nothing stays behind for a
 * refused one: `receive` streams the bytes into a staging area while hashing
 * and counting them (cut off at once past the size limit), then the caller
 * either `commit`s them to their content address or `discard`s them.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config';
import { meter, SNIFF_BYTES } from './meter';

const SHA256 = /^[0-9a-f]{64}$/;

/** Bytes streamed in and not yet committed or discarded. */
export interface ReceivedBlob {
  sha256: string;
  size: number;
  /** The leading bytes, for type detection. */
  head: Buffer;
  /** Where the implementation staged the bytes (opaque to callers). */
  readonly stagingRef: string;
  /** The bytes themselves, when the store kept a small upload in memory instead of staging it on disk. */
  readonly bytes?: Buffer;
}

export interface StoredBlobInfo {
  sha256: string;
  size: number;
  /** When the bytes were last written to their address. */
  modifiedAt: Date;
}

export interface ReceiveOptions {
  /** Past this many bytes the receive fails with BlobTooLargeError. */
  maxBytes: number;
  /**
   * At most this many bytes can come (the request's Content-Length, which the HTTP parser holds the body to), when
   * known: a store may then keep a small upload in memory instead of staging it on disk.
   */
  declaredBytes?: number;
}

export interface BlobStore {
  /**
   * Readies what receiving needs, so that the first upload after a start waits for none of it: the staging folder,
   * the media-type sniffer, and for a bucket the bucket itself (under way when this returns). Called once when the
   * gateway starts.
   */
  prepare(): void;
  /**
   * Streams `input` into staging, hashing and counting. Past `maxBytes` it fails
   * with BlobTooLargeError at once (the input is destroyed); on any failure the
   * staged bytes are removed before the promise rejects. It attaches its error
   * handling to `input` before it returns (nothing is awaited first), so an input
   * destroyed with an error a moment later is a rejection, never an uncaught error.
   */
  receive(input: Readable, opts: ReceiveOptions): Promise<ReceivedBlob>;
  /** The staged bytes (bounded by the receive limit), e.g. to measure a photo. */
  readReceived(blob: ReceivedBlob): Promise<Buffer>;
  /** Makes received bytes durable at their content address; idempotent. */
  commit(blob: ReceivedBlob): Promise<void>;
  /** Drops received bytes that will not be committed. Never throws for bytes already gone. */
  discard(blob: ReceivedBlob): Promise<void>;
  /** Stores bytes directly (tests, tools); returns their sha256. */
  put(bytes: Buffer): Promise<string>;
  /** A stream of the stored bytes, or undefined if they are not stored. */
  open(sha256: string): Promise<Readable | undefined>;
  has(sha256: string): Promise<boolean>;
  /** Removes stored bytes; nothing happens if they are absent. */
  delete(sha256: string): Promise<void>;
  /** Every stored blob, for the cleanup of unreferenced ones. */
  list(): AsyncIterable<StoredBlobInfo>;
  /**
   * Removes staged uploads nobody is receiving any more: those of a process that is
   * gone (a gateway killed mid-upload, seen at its restart) and any untouched since
   * `olderThan`. Returns how many.
   */
  removeStaleStaging(olderThan: Date): Promise<number>;
}

/** The one place an implementation is chosen: the S3-compatible bucket when S3_ENDPOINT is set, else the local disk. */
export function createBlobStore(
  config: Pick<Config, 'uploadDir'> & Partial<Pick<Config, 'S3_ENDPOINT' | 'S3_BUCKET' | 'S3_REGION' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY'>>,
): BlobStore {
  const local = new LocalDiskBlobStore(config.uploadDir);
  if (!config.S3_ENDPOINT) return local;
  // Loaded only when configured: the AWS SDK adds about 4 MB to every gateway that keeps files on disk.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use, as said above
  const { S3BlobStore } = require('./s3-store') as typeof import('./s3-store');
  return new S3BlobStore(
    {
      endpoint: config.S3_ENDPOINT,
      bucket: config.S3_BUCKET ?? 'progreg-uploads',
      region: config.S3_REGION ?? 'us-east-1',
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    },
    // Uploads still stage on this gateway's disk while they are hashed and checked.
    local,
  );
}

/**
 * A blob lives at `<dir>/<sha256[0..2]>/<sha256>`; uploads stage in `<dir>/tmp`
 * (same file system, so the commit is an atomic rename).
 */
export class LocalDiskBlobStore implements BlobStore {
  readonly stagingDir: string;

  constructor(readonly dir: string) {
    this.stagingDir = path.join(dir, 'tmp');
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  private prepared = false;

  prepare(): void {
    fs.mkdirSync(this.stagingDir, { recursive: true });
    this.prepared = true;
    // Loading now, not in the first upload; a failure here is met again (and answered) by that upload.
    loadSniffer().catch(() => {});
  }

  async receive(input: Readable, { maxBytes }: ReceiveOptions): Promise<ReceivedBlob> {
    // pipeline() never settles for a source destroyed before it starts (the request failed meanwhile).
    if (input.destroyed) throw new Error('the upload stream was closed before it was read');
    // Nothing is awaited before pipeline() below: it must attach its handlers to `input` at once.
    // The staging folder exists since the gateway's start (prepare); a store made elsewhere makes it here, synchronously.
    if (!this.prepared) this.prepare();
    const stagingRef = this.newStagingPath();
    staged.add(stagingRef);
    const measured = meter(maxBytes);
    const file = fs.createWriteStream(stagingRef, { flags: 'wx' });
    try {
      // pipeline closes the file descriptor on every outcome, error or not.
      await pipeline(input, measured.transform, file);
    } catch (e) {
      // pipeline can reject before the file's open has come back (an input that fails
      // at once). Removing it then would run first, and the open would create it again.
      if (!file.closed) await new Promise<void>((closed) => file.once('close', () => closed()));
      await fs.promises.rm(stagingRef, { force: true });
      staged.delete(stagingRef);
      throw e;
    }
    return { stagingRef, ...measured.received() };
  }

  async readReceived(blob: ReceivedBlob): Promise<Buffer> {
    return fs.promises.readFile(blob.stagingRef);
  }

  /**
   * Durable before it answers: the workflow records the document once this returns, so the bytes, their name and a
   * new shard folder must survive a power cut, not only a crash of the process. Hence the file's data is synced
   * before the rename, and the folders whose entries changed after it.
   */
  async commit(blob: ReceivedBlob): Promise<void> {
    const target = this.pathOf(blob.sha256);
    const shard = path.dirname(target);
    const madeShard = await fs.promises.mkdir(shard, { recursive: true });
    await syncPath(blob.stagingRef, 'r+');
    // Always rename, even over identical bytes: a cleanup that removed the old copy a moment ago cannot leave us without one.
    await fs.promises.rename(blob.stagingRef, target);
    staged.delete(blob.stagingRef);
    await syncPath(shard, 'r');
    if (madeShard) await syncPath(this.dir, 'r');
  }

  async discard(blob: ReceivedBlob): Promise<void> {
    await fs.promises.rm(blob.stagingRef, { force: true });
    staged.delete(blob.stagingRef);
  }

  async put(bytes: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await fs.promises.mkdir(this.stagingDir, { recursive: true });
    const stagingRef = this.newStagingPath();
    staged.add(stagingRef);
    await fs.promises.writeFile(stagingRef, bytes, { flag: 'wx' });
    await this.commit({ sha256, size: bytes.length, head: bytes.subarray(0, SNIFF_BYTES), stagingRef });
    return sha256;
  }

  async open(sha256: string): Promise<Readable | undefined> {
    const stream = fs.createReadStream(this.pathOf(sha256));
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(undefined) : reject(e)));
    });
  }

  async has(sha256: string): Promise<boolean> {
    return fs.promises.access(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async delete(sha256: string): Promise<void> {
    await fs.promises.rm(this.pathOf(sha256), { force: true });
  }

  async *list(): AsyncIterable<StoredBlobInfo> {
    const prefixes = await fs.promises.readdir(this.dir).catch(() => [] as string[]);
    for (const prefix of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      const names = await fs.promises.readdir(path.join(this.dir, prefix)).catch(() => [] as string[]);
      for (const name of names) {
        if (!SHA256.test(name) || !name.startsWith(prefix)) continue;
        const st = await fs.promises.stat(path.join(this.dir, prefix, name)).catch(() => undefined);
        if (st?.isFile()) yield { sha256: name, size: st.size, modifiedAt: st.mtime };
      }
    }
  }

  async removeStaleStaging(olderThan: Date): Promise<number> {
    const names = await fs.promises.readdir(this.stagingDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.stagingDir, name);
      if (!name.endsWith('.part') || staged.has(file)) continue;
      const owner = stagingOwner(name);
      // Our host: the writer's process tells (our own pid here means a previous life of a restarted container).
      // Another host sharing the folder: only age tells (an upload in progress writes all the time).
      const orphaned = owner?.host === HOST && (owner.pid === process.pid || !processAlive(owner.pid));
      const st = orphaned ? undefined : await fs.promises.stat(file).catch(() => undefined);
      if (orphaned || (st && st.mtime < olderThan)) {
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** `<host>~<pid>~<uuid>.part`: whose upload it is, so a restart can tell its predecessor's leftovers. */
  private newStagingPath(): string {
    return path.join(this.stagingDir, `${HOST}~${process.pid}~${randomUUID()}.part`);
  }
}

/** Staged files this process is writing or holding right now (whichever store instance made them). */
const staged = new Set<string>();
const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';

function stagingOwner(name: string): { host: string; pid: number } | undefined {
  const m = /^(.+)~(\d+)~[0-9a-f-]+\.part$/.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The media type the bytes say they are (not what the client claims), or undefined. */
export async function sniffMediaType(head: Buffer): Promise<string | undefined> {
  const { fileTypeFromBuffer } = await loadSniffer();
  return (await fileTypeFromBuffer(head))?.mime;
}

const importSniffer = () => import('file-type');
let sniffer: ReturnType<typeof importSniffer> | undefined;

/**
 * file-type, an ESM-only package, loaded with import() from this CommonJS module, once: its first load took 37 ms
 * (measured, node on the shared machine), which the gateway pays at start (`prepare`) rather than in a student's
 * first upload. A failed load is tried again at the next call.
 */
function loadSniffer(): ReturnType<typeof importSniffer> {
  sniffer ??= importSniffer().catch((e: unknown) => {
    sniffer = undefined;
    throw e;
  });
  return sniffer;
}

/** fsync of a file's data or of a folder's entries (a folder opens read-only). */
async function syncPath(file: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await fs.promises.open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
