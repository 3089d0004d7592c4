/**
 * PutObject as one signed HTTP request: the commit of every upload, which the
 * student waits for. The AWS SDK's client spends about 3 ms of CPU on each
 * PutObject around the request itself (its middleware stack, built again for
 * each command, the endpoint rules, the user agent, the retry bookkeeping;
 * measured with a canned response in place of the network), about as long as
 * SeaweedFS takes to store a document. This request is signed by the SDK's own
 * SigV4 signer, with the client's credentials (whatever chain resolved them),
 * and carries the body's SHA-256 taken while receiving it: as the signed payload
 * hash, so the signer does not read the body again, and as the checksum the
 * store verifies the bytes against.
 *
 * It makes one attempt. Any answer but 200 (a throttle, a redirect, an error)
 * and any failure to get one is `undefined`: the caller then sends the SDK's
 * PutObject, with its retries and its errors. Content-addressed, so a second
 * put of the same key after a lost answer stores the same bytes.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, ChecksumConstructor, HashConstructor, Provider } from '@smithy/types';

export interface LeanPutTarget {
  endpoint: string;
  region: string;
  bucket: string;
  /** The S3 client's resolved credentials provider and hash (`client.config`): what the SDK itself signs with. */
  credentials: Provider<AwsCredentialIdentity>;
  sha256: ChecksumConstructor | HashConstructor;
}

export interface LeanPutObject {
  key: string;
  /** The bytes, or a new stream of them (called again by the SDK's put if this one fails). */
  body: Buffer | Readable;
  size: number;
  sha256Hex: string;
}

/** An idle connection kept longer than the store keeps it would fail the next put: the SDK's then answers. */
const IDLE_SOCKET_MS = 4000;
/** A store that stops answering mid-request: given up here, and the SDK's put (with its own handling) tries. */
const SOCKET_TIMEOUT_MS = 30_000;

export function leanPutter(target: LeanPutTarget): (object: LeanPutObject) => Promise<true | undefined> {
  const url = new URL(target.endpoint);
  const tls = url.protocol === 'https:';
  const transport = tls ? https : http;
  const agent = new transport.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  const signer = new SignatureV4({ credentials: target.credentials, region: target.region, service: 's3', sha256: target.sha256, uriEscapePath: false });
  const basePath = url.pathname.replace(/\/+$/, '');
  const port = url.port ? Number(url.port) : undefined;

  return async ({ key, body, size, sha256Hex }) => {
    const path = `${basePath}/${encodeURIComponent(target.bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    let signed;
    try {
      signed = await signer.sign({
        method: 'PUT',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(port ? { port } : {}),
        path,
        query: {},
        headers: {
          host: url.host,
          'content-length': String(size),
          'x-amz-content-sha256': sha256Hex,
          'x-amz-checksum-sha256': Buffer.from(sha256Hex, 'hex').toString('base64'),
        },
      });
    } catch {
      return undefined;
    }
    return new Promise<true | undefined>((resolve) => {
      const req = transport.request(
        { method: 'PUT', hostname: url.hostname, port, path, headers: signed.headers, agent, timeout: SOCKET_TIMEOUT_MS },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode === 200) return resolve(true);
            // Answered before the body was all sent (a refused signature, say): stop sending it, and close the file.
            req.destroy();
            resolve(undefined);
          });
          res.once('error', () => resolve(undefined));
        },
      );
      req.once('timeout', () => req.destroy(new Error('timed out')));
      req.once('error', () => resolve(undefined));
      if (Buffer.isBuffer(body)) req.end(body);
      // A failure on either side destroys both (the staged file's descriptor is closed); the request's 'error' answers.
      else pipeline(body, req).catch(() => {});
    });
  };
}
