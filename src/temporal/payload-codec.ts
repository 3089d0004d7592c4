/**
 * Encryption of every payload we send to Temporal (docs/operations.md,
 * "Personal data"): workflow and activity inputs and results, signals,
 * updates, queries, the memo and the failures' messages (failure-converter.ts
 * moves those into a payload). Search attributes are not payloads the codec
 * sees: they stay plaintext so staff can filter on them, and hold no personal data.
 *
 * Each payload, serialised whole (metadata included, so its original encoding
 * comes back on decode), is sealed with AES-256-GCM under a fresh 96-bit nonce.
 * The sealed payload names the key that sealed it, so a ring of several keys
 * decodes old payloads while the first key seals new ones (key rotation).
 * A payload without our encoding (histories written before encryption) passes
 * through unchanged.
 */
import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface PayloadKey {
  /** Named in every payload it seals: letters, digits, `.`, `_`, `-`. */
  id: string;
  key: Buffer;
}

/** The keys a process holds: the first seals, every one opens. */
export class PayloadKeyRing {
  private readonly byId: Map<string, Buffer>;
  constructor(readonly keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('a payload key ring needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    if (this.byId.size !== keys.length) throw new Error('payload key ids must be unique');
  }
  get active(): PayloadKey {
    return this.keys[0]!;
  }
  find(id: string): Buffer | undefined {
    return this.byId.get(id);
  }
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `id:base64key` entries separated by commas, spaces or new lines
 * (`#` starts a comment line in a key file). Throws with a message that
 * never contains key material.
 */
export function parsePayloadKeys(text: string): PayloadKey[] {
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join(' ')
    .split(/[\s,]+/)
    .filter(Boolean);
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`entry ${i + 1} is not \`id:base64key\` (the id: letters, digits, ".", "_", "-")`);
    const material = entry.slice(colon + 1);
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')) {
      throw new Error(`key ${id} must be ${KEY_BYTES} bytes in base64 (\`openssl rand -base64 32\`)`);
    }
    return { id, key };
  });
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class UnknownPayloadKeyError extends Error {
  constructor(readonly keyId: string | undefined) {
    super(`a payload is sealed with key ${JSON.stringify(keyId)}, which this process does not hold (see docs/operations.md, "Key rotation")`);
    this.name = 'UnknownPayloadKeyError';
  }
}

/** A payload sealed with the ring's active key, naming it. */
function sealPayload(ring: PayloadKeyRing, payload: Payload): Payload {
  const { id, key } = ring.active;
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv(CIPHER, key, nonce);
  // The key id is authenticated too: a payload relabelled with another id does not open.
  cipher.setAAD(Buffer.from(id));
  const sealed = Buffer.concat([cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final()]);
  return {
    metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) },
    data: Buffer.concat([nonce, sealed, cipher.getAuthTag()]),
  };
}

const isSealed = (payload: Payload): boolean => text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;

/** The payload a sealed one holds; any other payload as it is (written before encryption, or never encrypted). */
export function openPayload(ring: PayloadKeyRing, payload: Payload): Payload {
  if (!isSealed(payload)) return payload;
  const id = text(payload.metadata?.[KEY_ID_METADATA]);
  const key = id === undefined ? undefined : ring.find(id);
  if (!key || id === undefined) throw new UnknownPayloadKeyError(id);
  const data = Buffer.from(payload.data ?? new Uint8Array());
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new Error(`a payload sealed with key ${id} is truncated`);
  const decipher = crypto.createDecipheriv(CIPHER, key, data.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(id));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  const plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  return temporal.api.common.v1.Payload.decode(plain);
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: PayloadKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => sealPayload(this.ring, p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => openPayload(this.ring, p));
  }
}
