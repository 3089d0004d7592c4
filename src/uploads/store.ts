/**
 * Content-addressed file storage under one directory: a file lives at
 * `<dir>/<sha256[0..2]>/<sha256>`. Uploads stream into a temporary file in the
 * same directory while being hashed and counted, so nothing large is held in
 * memory and the final rename is atomic; bytes already stored are stored once.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** file-type looks at most at this many leading bytes. */
const SNIFF_BYTES = 4100;

export interface ReceivedFile {
  tmpPath: string;
  sha256: string;
  size: number;
  /** The leading bytes, for type detection. */
  head: Buffer;
}

export class BlobStore {
  constructor(readonly dir: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** Streams `input` to a temporary file, hashing as it goes. (The caller bounds its size, e.g. busboy's fileSize limit.) */
  async receive(input: Readable): Promise<ReceivedFile> {
    const tmpDir = path.join(this.dir, 'tmp');
    await fs.promises.mkdir(tmpDir, { recursive: true });
    const tmpPath = path.join(tmpDir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    const headChunks: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        hash.update(chunk);
        if (headBytes < SNIFF_BYTES) {
          headChunks.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
          headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(input, meter, fs.createWriteStream(tmpPath, { flags: 'wx' }));
    } catch (e) {
      await fs.promises.rm(tmpPath, { force: true });
      // Drain the rest so the request can still be answered.
      input.resume();
      throw e;
    }
    return { tmpPath, sha256: hash.digest('hex'), size, head: Buffer.concat(headChunks) };
  }

  /** Moves a received file to its content address; if those bytes are already stored, the copy is dropped. */
  async commit(file: ReceivedFile): Promise<string> {
    const target = this.pathOf(file.sha256);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) {
      await fs.promises.rm(file.tmpPath, { force: true });
    } else {
      await fs.promises.rename(file.tmpPath, target);
    }
    return target;
  }

  async discard(file: ReceivedFile): Promise<void> {
    await fs.promises.rm(file.tmpPath, { force: true });
  }

  open(sha256: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(sha256));
  }
}

/** The media type the bytes say they are (not what the client claims), or undefined. */
export async function sniffMediaType(head: Buffer): Promise<string | undefined> {
  // ESM-only package: loaded with import() from this CommonJS module.
  const { fileTypeFromBuffer } = await import('file-type');
  return (await fileTypeFromBuffer(head))?.mime;
}
