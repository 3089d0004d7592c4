/**
 * Reads the one file of a multipart/form-data request (field `file`) as a
 * stream into the blob store's staging area: never buffered whole, cut off at
 * `maxBytes` (413) the moment it passes it, refused when empty (400) or absent
 * (400). The caller decides what to do with the received file and must commit
 * or discard it.
 *
 * Every way this can fail (a body larger than allowed, a body that ends inside
 * a part, a malformed part after the file, a second file, a client that goes
 * away mid-file) is a 4xx, never an uncaught stream error: every file stream
 * has an error listener from the moment busboy emits it. A failure stops the
 * file stream, so its staged file is removed and its descriptor closed before
 * the error is thrown.
 */
import type { Readable } from 'node:stream';
import type { Request } from 'express';
import busboy from 'busboy';
import { AppError, ErrorCode } from './errors';
import { BlobTooLargeError } from '../uploads/meter';
import type { BlobStore, ReceivedBlob } from '../uploads/store';

export const FILE_FIELD = 'file';
/** Room for multipart boundaries and headers on top of the file itself. */
export const ENVELOPE_BYTES = 64 * 1024;

export interface ReceivedUpload extends ReceivedBlob {
  clientName: string | undefined;
  claimedType: string;
  /** Other (small) form fields, as strings. */
  fields: Record<string, string>;
}

export async function receiveUpload(
  req: Request,
  blobs: BlobStore,
  maxBytes: number,
  tooLarge: () => AppError = () => fileTooLarge(maxBytes),
): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + ENVELOPE_BYTES) throw tooLarge();
  let parser: busboy.Busboy;
  try {
    // No fileSize limit here: the blob store counts and cuts off (busboy would only truncate and read on).
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024, parts: 40 } });
  } catch {
    throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Send the file as multipart/form-data in a field named "${FILE_FIELD}".`);
  }

  const fields: Record<string, string> = {};
  let file: { stream: Readable; name: string | undefined; type: string; receiving: Promise<ReceivedBlob> } | undefined;
  let fail!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});

  parser.on('file', (name, stream, info) => {
    // Busboy destroys a file stream with an error when the body ends inside it (a dropped connection):
    // an error with no listener would end the process, so every stream gets one the moment it exists.
    stream.on('error', (e) => fail(fromFileStream(e)));
    if (name !== FILE_FIELD) {
      stream.resume();
      return;
    }
    // The whole body's declared length bounds the file's: the store may keep a small one in memory.
    const receiving = blobs.receive(stream, { maxBytes, ...(Number.isFinite(declared) ? { declaredBytes: declared } : {}) });
    // Too large, or the disk refused: stop the whole request now, not when the client is done sending.
    receiving.catch((e) => fail(fromFileStream(e)));
    file = { stream, name: info.filename, type: info.mimeType, receiving };
  });
  parser.on('field', (name, value) => {
    fields[name] = value;
  });
  parser.on('error', (e) => fail(malformed(e as Error)));
  // Which of two files would be the upload is anyone's guess: refuse rather than keep the first.
  parser.on('filesLimit', () =>
    fail(
      new AppError(ErrorCode.VALIDATION_FAILED, `Send one file per request, in the field "${FILE_FIELD}".`, {
        issues: [{ in: 'body', path: FILE_FIELD, message: 'more than one file' }],
      }),
    ),
  );
  const onClose = () => {
    if (!req.complete) fail(new AppError(ErrorCode.VALIDATION_FAILED, 'The upload was interrupted.'));
  };
  req.on('close', onClose);
  req.on('error', onClose);
  const parsed = new Promise<void>((resolve) => parser.on('close', resolve));
  req.pipe(parser);

  try {
    await Promise.race([parsed, failed]);
    if (!file) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `No file: send it in the multipart field "${FILE_FIELD}".`, {
        issues: [{ in: 'file', path: FILE_FIELD, message: 'a file is required' }],
      });
    }
    const blob = await Promise.race([file.receiving, failed]);
    if (blob.size === 0) {
      await blobs.discard(blob);
      throw new AppError(ErrorCode.EMPTY_FILE, 'The file is empty.');
    }
    return { ...blob, clientName: file.name, claimedType: file.type, fields };
  } catch (e) {
    req.unpipe(parser);
    // Ends a receive still in progress: its pipeline removes the staged file and closes the descriptor.
    file?.stream.destroy();
    const received = await file?.receiving.catch(() => undefined);
    if (received) await blobs.discard(received);
    throw e instanceof BlobTooLargeError ? tooLarge() : e;
  } finally {
    req.off('close', onClose);
    req.off('error', onClose);
  }
}

/**
 * A file stream fails either by busboy (the body ended inside the part: the client's fault) or by
 * the blob store that destroyed it (past the size limit, or the disk refused: a system error with a code).
 */
function fromFileStream(e: unknown): unknown {
  if (e instanceof BlobTooLargeError || (e as NodeJS.ErrnoException).code !== undefined) return e;
  return malformed(e as Error);
}

function malformed(e: Error): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, `Malformed multipart body: ${e.message}`, {
    issues: [{ in: 'body', path: '', message: 'malformed multipart/form-data' }],
  });
}

export function fileTooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The file is larger than ${formatBytes(maxBytes)}.`, { maxBytes });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
