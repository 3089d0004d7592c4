/**
 * What every upload store does to the bytes it receives, in a module of its own so that each store (the local
 * disk's in store.ts, the bucket's in s3-store.ts) takes it without the two requiring each other.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** file-type looks at most at this many leading bytes. */
export const SNIFF_BYTES = 4100;

/** The stream went past `maxBytes`; what was received so far is already gone. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

/** What the meter found in the bytes that passed. */
export interface Metered {
  sha256: string;
  size: number;
  /** The leading bytes, for type detection. */
  head: Buffer;
}

/**
 * What every receive does to the bytes passing through: hashes and counts them and keeps the leading ones for
 * type detection; past `maxBytes` it fails at once with BlobTooLargeError (the pipeline then destroys the input).
 */
export function meter(maxBytes: number): { transform: Transform; received: () => Metered } {
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BlobTooLargeError(maxBytes));
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        headChunks.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
        headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
      }
      done(null, chunk);
    },
  });
  return { transform, received: () => ({ sha256: hash.digest('hex'), size, head: Buffer.concat(headChunks) }) };
}
