/**
 * Reads the one file of a multipart/form-data request (field `file`) as a
 * stream into the blob store's temporary area: never buffered whole, cut off
 * at `maxBytes` (413), refused when empty (400) or absent (400). The caller
 * decides what to do with the received file and must commit or discard it.
 */
import type { Request } from 'express';
import busboy from 'busboy';
import { AppError, ErrorCode } from './errors';
import type { BlobStore, ReceivedFile } from '../uploads/store';

export const FILE_FIELD = 'file';
/** Room for multipart boundaries and headers on top of the file itself. */
const ENVELOPE_BYTES = 64 * 1024;

export interface ReceivedUpload extends ReceivedFile {
  clientName: string | undefined;
  claimedType: string;
  /** Other (small) form fields, as strings. */
  fields: Record<string, string>;
}

export async function receiveUpload(req: Request, blobs: BlobStore, maxBytes: number): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + ENVELOPE_BYTES) {
    throw tooLarge(maxBytes);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 64 * 1024, parts: 40 } });
  } catch {
    throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Send the file as multipart/form-data in a field named "${FILE_FIELD}".`);
  }

  const fields: Record<string, string> = {};
  let receiving: Promise<ReceivedUpload | { truncated: true; file: ReceivedFile }> | undefined;

  await new Promise<void>((resolve, reject) => {
    parser.on('file', (name, stream, info) => {
      if (name !== FILE_FIELD || receiving) {
        stream.resume();
        return;
      }
      receiving = blobs.receive(stream).then((file) =>
        stream.truncated ? { truncated: true as const, file } : { ...file, clientName: info.filename, claimedType: info.mimeType, fields },
      );
      // A failed write is reported once the form is read; keep it from being "unhandled" meanwhile.
      receiving.catch(() => {});
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('close', resolve);
    parser.on('error', (e) => reject(new AppError(ErrorCode.VALIDATION_FAILED, `Malformed multipart body: ${(e as Error).message}`, {
      issues: [{ in: 'body', path: '', message: 'malformed multipart/form-data' }],
    })));
    req.on('aborted', () => reject(new AppError(ErrorCode.VALIDATION_FAILED, 'The upload was interrupted.')));
    req.pipe(parser);
  });

  if (!receiving) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `No file: send it in the multipart field "${FILE_FIELD}".`, {
      issues: [{ in: 'file', path: FILE_FIELD, message: 'a file is required' }],
    });
  }
  const received = await receiving;
  if ('truncated' in received) {
    await blobs.discard(received.file);
    throw tooLarge(maxBytes);
  }
  if (received.size === 0) {
    await blobs.discard(received);
    throw new AppError(ErrorCode.EMPTY_FILE, 'The file is empty.');
  }
  return received;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The file is larger than ${formatBytes(maxBytes)}.`, { maxBytes });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
