/**
 * The email activity. Sends what the workflow decided, once: the email log row
 * (unique on the workflow's idempotency key) is checked first, and Resend gets
 * the same key, so neither a retried activity nor a retried HTTP request mails
 * twice. Transient failures (429, 5xx, network) throw and Temporal retries
 * with backoff; a refusal for good (invalid address, other 4xx) fails
 * non-retryably and is logged where staff look. Without a Resend client the
 * email goes to the outbox: the log row plus the rendered files, and, when
 * OUTBOX_WEBHOOK_URL is set, the email event Resend would send for it
 * (email-events.ts), so development shows the bounce flow too.
 *
 * Every email carries its idempotency key as a Resend tag: the email events
 * webhook matches an event to its email by Resend's id or by that key.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Resend } from 'resend';
import type { Config } from '../../src/config';
import type { PrismaClient } from '../../src/db/prisma';
import { EMAILS_WITH_LINKS, EMAIL_REJECTED_FAILURE, type EmailRequest, type EmailSent } from '../../workflows/registration/emails';
import { AUDIENCE, renderEmail, type InvitationLinks, type RenderedEmail } from './templates';
import { EMAIL_KEY_TAG, emailEvent, encodeEmailKey, outcomeFor, postEmailEvent } from '../../src/email/resend-events';

export interface EmailDeps {
  prisma: PrismaClient;
  config: Pick<Config, 'EMAIL_FROM' | 'REGISTRY_ALERT_EMAIL' | 'outboxDir'> & Partial<Pick<Config, 'OUTBOX_WEBHOOK_URL' | 'RESEND_WEBHOOK_SECRET'>>;
  /** Absent: outbox mode. */
  resend?: Resend;
  /** Fresh signed links; they stay valid at least until `validUntil` (when the registration can no longer change). */
  invitationLinks: (applicationNo: string, validUntil?: Date) => Promise<InvitationLinks>;
}

interface ResendError {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

/** Worth retrying: rate limits, server errors, network failures, and a concurrent request with the same key. */
function isTransient(error: ResendError): boolean {
  const status = error.statusCode ?? null;
  return status === null || status === 429 || status >= 500 || error.name === 'concurrent_idempotent_requests';
}

export function createSendEmail(deps: EmailDeps) {
  const { prisma, config } = deps;

  return async function sendEmail(request: EmailRequest): Promise<EmailSent> {
    const key = request.idempotencyKey;
    const logged = await prisma.emailLog.findUnique({ where: { idempotencyKey: key } });
    if (logged && (logged.status === 'SENT' || logged.status === 'OUTBOX')) {
      return { delivery: logged.status, to: logged.recipients, subject: logged.subject, providerId: logged.providerId ?? undefined };
    }
    if (logged?.status === 'FAILED') throw rejected(logged.error ?? 'refused earlier');

    const links = EMAILS_WITH_LINKS.includes(request.message.kind)
      ? await deps.invitationLinks(request.registrationNo, new Date(request.context.changeableUntil))
      : undefined;
    const email = renderEmail(request, links);
    const to = AUDIENCE[request.message.kind] === 'registry' ? [config.REGISTRY_ALERT_EMAIL] : request.to;
    if (!logged) await createLogRow(request, to, email.subject);

    if (!deps.resend) {
      await writeOutbox(config.outboxDir, request, to, email);
      const providerId = outboxEmailId(key);
      await prisma.emailLog.update({ where: { idempotencyKey: key }, data: { status: 'OUTBOX', providerId, sentAt: new Date(), error: null } });
      announceOutboxEmail({ id: providerId, from: config.EMAIL_FROM, to, subject: email.subject, idempotencyKey: key });
      return { delivery: 'OUTBOX', to, subject: email.subject };
    }

    const { data, error } = await deps.resend.emails.send(
      { from: config.EMAIL_FROM, to, subject: email.subject, html: email.html, text: email.text, tags: [{ name: EMAIL_KEY_TAG, value: encodeEmailKey(key) }] },
      { idempotencyKey: key },
    );
    // Same key, different payload (409 invalid_idempotent_request): an earlier attempt reached Resend
    // (its links carried another freshly signed token), so the email was sent.
    const alreadySent = error?.name === 'invalid_idempotent_request';
    if (error && !alreadySent) {
      const message = `${error.name ?? 'error'} (${(error as ResendError).statusCode ?? 'no response'}): ${error.message}`;
      if (isTransient(error as ResendError)) {
        await prisma.emailLog.update({ where: { idempotencyKey: key }, data: { error: message } });
        Context.current().log.warn('email send failed, will retry', { key, error: message });
        throw new Error(`email ${key} not sent yet: ${message}`);
      }
      await prisma.emailLog.update({ where: { idempotencyKey: key }, data: { status: 'FAILED', error: message } });
      throw rejected(message);
    }
    await prisma.emailLog.update({
      where: { idempotencyKey: key },
      data: { status: 'SENT', providerId: data?.id ?? null, sentAt: new Date(), error: null },
    });
    return { delivery: 'SENT', to, subject: email.subject, providerId: data?.id };
  };

  /**
   * The outbox's stand-in for Resend's webhook: the event Resend would send for this email, posted after the
   * activity answers (Resend reports seconds later; the email is sent whatever becomes of the event).
   */
  function announceOutboxEmail(email: { id: string; from: string; to: string[]; subject: string; idempotencyKey: string }): void {
    const url = config.OUTBOX_WEBHOOK_URL;
    const secret = config.RESEND_WEBHOOK_SECRET;
    if (!url || !secret) return;
    const log = Context.current().log;
    setTimeout(() => {
      void postEmailEvent(url, secret, emailEvent(outcomeFor(email.to), email)).then((status) => {
        if (status >= 300 || status === 0) log.warn('outbox email event not accepted', { key: email.idempotencyKey, status });
      });
    }, 100).unref();
  }

  async function createLogRow(request: EmailRequest, to: string[], subject: string): Promise<void> {
    // The registration row may not be projected yet; the projection links the log row later.
    const registration = await prisma.registration.findUnique({ where: { applicationNo: request.registrationNo }, select: { applicationNo: true } });
    await prisma.emailLog.upsert({
      where: { idempotencyKey: request.idempotencyKey },
      create: {
        idempotencyKey: request.idempotencyKey,
        registrationNo: registration?.applicationNo ?? null,
        kind: request.message.kind,
        recipients: to,
        subject,
        status: 'PENDING',
      },
      update: {},
    });
  }
}

const rejected = (message: string) => ApplicationFailure.create({ type: EMAIL_REJECTED_FAILURE, message: `email refused: ${message}`, nonRetryable: true });

/** The outbox's email id (Resend's role), from the idempotency key: a retried activity keeps it. */
const outboxEmailId = (key: string): string => `outbox_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

/** Outbox files are named after the idempotency key, so rewriting one is harmless. */
export function outboxPaths(outboxDir: string, request: Pick<EmailRequest, 'registrationNo' | 'idempotencyKey'>): { text: string; html: string } {
  const dir = path.join(outboxDir, request.registrationNo.replace(/[^A-Za-z0-9_-]/g, '_'));
  const base = path.join(dir, request.idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_'));
  return { text: `${base}.txt`, html: `${base}.html` };
}

async function writeOutbox(outboxDir: string, request: EmailRequest, to: string[], email: RenderedEmail): Promise<void> {
  const files = outboxPaths(outboxDir, request);
  await fs.mkdir(path.dirname(files.text), { recursive: true });
  const headers = [`To: ${to.join(', ')}`, `Subject: ${email.subject}`, `Idempotency-Key: ${request.idempotencyKey}`, ''].join('\n');
  await fs.writeFile(files.text, `${headers}\n${email.text}`);
  await fs.writeFile(files.html, email.html);
}
