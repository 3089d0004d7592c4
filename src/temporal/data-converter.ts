/**
 * The data converter of our clients and workers: the encryption codec
 * (payload-codec.ts) over the SDK's JSON payloads, and failures whose message
 * and stack trace are encoded too (failure-converter.ts). Every connection to
 * Temporal uses it, so nothing personal reaches Temporal in cleartext.
 */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, type PayloadKeyRing } from './payload-codec';

/** The module the failure converter is loaded from: by the SDK in clients and workers, and into the workflow bundle. */
export const failureConverterPath = (): string => require.resolve('./failure-converter');

/** For a Client (gateway, CLIs, the worker's own client) and a Worker (the codec runs in its main thread). */
export function dataConverter(ring: PayloadKeyRing): DataConverter & { payloadCodecs: EncryptionCodec[] } {
  return { payloadCodecs: [new EncryptionCodec(ring)], failureConverterPath: failureConverterPath() };
}
