/**
 * Resend's email events as Resend sends them: a JSON body (`type`, `created_at`,
 * `data` with the email id, recipients and tags) signed the Standard Webhooks
 * way Resend uses (Svix headers `svix-id`, `svix-timestamp`, `svix-signature`;
 * https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests). The
 * outbox (development) and the tests' fake Resend send them through this module
 * so the gateway's email webhook sees exactly what production sees.
 *
 * What happens to an email follows Resend's own test addresses
 * (https://resend.com/docs/dashboard/emails/send-test-emails): mail to
 * `bounced@resend.dev` bounces for good, to `complained@resend.dev` is marked as
 * spam, and a label after `+` (`bounced+a2700001@resend.dev`) changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** The events the gateway acts on (Resend sends others too; the gateway records them and changes nothing). */
export type EmailEventType = 'email.delivered' | 'email.delivery_delayed' | 'email.bounced' | 'email.complained';

/** Resend tag that carries our idempotency key (tag values allow only letters, digits, `_` and `-`: base64url). */
export const EMAIL_KEY_TAG = 'progreg_key';
export const encodeEmailKey = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeEmailKey = (tag: string): string => Buffer.from(tag, 'base64url').toString('utf8');

export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** Our idempotency key, sent as the EMAIL_KEY_TAG tag. */
  idempotencyKey?: string;
}

/** What Resend reports for mail to these recipients: a bounce or complaint for its test addresses, else delivery. */
export function outcomeFor(recipients: readonly string[]): EmailEventType {
  const local = (a: string) => (a.toLowerCase().endsWith('@resend.dev') ? a.toLowerCase().split('@')[0]!.split('+')[0] : '');
  if (recipients.some((a) => local(a) === 'bounced')) return 'email.bounced';
  if (recipients.some((a) => local(a) === 'complained')) return 'email.complained';
  return 'email.delivered';
}

/** The event body, as Resend's webhook sends it. */
export function emailEvent(type: EmailEventType, email: SentEmail, at = new Date()): Record<string, unknown> {
  return {
    type,
    created_at: at.toISOString(),
    data: {
      email_id: email.id,
      created_at: at.toISOString(),
      from: email.from,
      to: email.to,
      subject: email.subject,
      ...(email.idempotencyKey ? { tags: { [EMAIL_KEY_TAG]: encodeEmailKey(email.idempotencyKey) } } : {}),
      ...(type === 'email.bounced' ? { bounce: { type: 'Permanent', subType: 'General', message: 'The recipient address does not exist.' } } : {}),
    },
  };
}

/** The body and Svix headers of one delivery, signed with the webhook's `whsec_` secret. */
export function signEmailEvent(
  secret: string,
  event: Record<string, unknown>,
  id = `msg_${randomUUID()}`,
  at = new Date(),
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event);
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    body,
    headers: { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signature },
  };
}

/**
 * Posts one signed event, retrying a few times on a network error or 5xx as Resend does (Resend keeps retrying
 * for hours; this is the development outbox, which gives up after a few seconds). Answers the final status.
 */
export async function postEmailEvent(url: string, secret: string, event: Record<string, unknown>, attempts = 5): Promise<number> {
  const delivery = signEmailEvent(secret, event);
  let status = 0;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body, signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      status = res.status;
      if (status < 500) return status;
    } catch {
      status = 0;
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** i));
  }
  return status;
}
