/**
 * Webhook signatures: `X-Progreg-Signature: t=<unix seconds>,v1=<hex>` where
 * the hex is HMAC-SHA256(WEBHOOK_SECRET, "<t>.<raw body>"). Signing the
 * timestamp with the body means an old delivery cannot be re-dated; the replay
 * window bounds how old a delivery may be, and the delivery id (in the body,
 * so also signed) stops a replay inside the window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '../errors';

export const SIGNATURE_HEADER = 'X-Progreg-Signature';

const mac = (secret: string, t: number, body: Buffer | string) => createHmac('sha256', secret).update(`${t}.`).update(body).digest();

/** The header value for a delivery; what the identity provider and payment service compute. */
export function signWebhook(secret: string, body: Buffer | string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}

export function verifyWebhook(opts: { secret: string; toleranceSeconds: number; now?: number }, header: string | undefined, body: Buffer | undefined): void {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!header || !Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/i.test(given)) {
    throw new AppError(ErrorCode.BAD_SIGNATURE, `Missing or malformed ${SIGNATURE_HEADER} header.`);
  }
  const expected = mac(opts.secret, t, body ?? Buffer.alloc(0));
  if (!timingSafeEqual(expected, Buffer.from(given, 'hex'))) {
    throw new AppError(ErrorCode.BAD_SIGNATURE, 'The signature does not match the body.');
  }
  const skew = Math.abs((opts.now ?? Date.now()) / 1000 - t);
  if (skew > opts.toleranceSeconds) {
    throw new AppError(ErrorCode.STALE_WEBHOOK, `The delivery is ${Math.round(skew)} s from now; the replay window is ${opts.toleranceSeconds} s.`, {
      toleranceSeconds: opts.toleranceSeconds,
    });
  }
}
