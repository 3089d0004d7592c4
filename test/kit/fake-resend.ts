/**
 * A local stand-in for the Resend HTTP API (POST /emails), so the real
 * `resend` SDK can be tested against it via RESEND_BASE_URL / baseUrl. It
 * answers from a script (e.g. 429, then 500, then success) or, for the fault
 * drills, from an outage (a stretch of time in which it answers 429 and 500),
 * keeps every request, and, like Resend, answers a repeated Idempotency-Key
 * with the first result instead of sending again, or, when the payload differs
 * from the first request's, with 409 `invalid_idempotent_request`.
 * `delivered` is the ground truth of what students received.
 *
 * Like Resend, it reports what became of each accepted email to a webhook
 * (`sendEventsTo`), signed the way Resend signs (src/email/resend-events.ts):
 * delivered, or bounced / marked as spam for Resend's test addresses
 * (`bounced@resend.dev`, `complained+label@resend.dev`). `events` keeps every
 * event posted and the status it was answered.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';
import { EMAIL_KEY_TAG, decodeEmailKey, emailEvent, outcomeFor, postEmailEvent, type EmailEventType } from '../../src/email/resend-events';

export interface ReceivedEmail {
  idempotencyKey?: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  tags?: { name: string; value: string }[];
}

export type ScriptedResponse = { status: number; body: Record<string, unknown> };

/** Error bodies as Resend sends them. */
export const resendError = {
  rateLimited: { status: 429, body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.' } },
  serverError: { status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'Unexpected error.' } },
  invalidAddress: { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' } },
  differentPayload: {
    status: 409,
    body: {
      statusCode: 409,
      name: 'invalid_idempotent_request',
      message: 'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
    },
  },
} satisfies Record<string, ScriptedResponse>;

const FAKE_RESEND_API_KEY = 're_test_key';

export class FakeResend {
  /** Every request that reached the server, accepted or not, with the status it was answered. */
  readonly requests: (ReceivedEmail & { status?: number })[] = [];
  /** Emails actually accepted for delivery (what a student would receive). */
  readonly delivered: (ReceivedEmail & { id: string })[] = [];
  /** The status of every answer, in order (parallel to `requests`). */
  readonly answers: number[] = [];
  private readonly script: ScriptedResponse[] = [];
  /** The first accepted request per key: its id, and its payload to compare repeats with. */
  private readonly byKey = new Map<string, { id: string; payload: string }>();
  /** Every email event posted to the webhook, with the answer's status (0: no answer). */
  readonly events: { type: EmailEventType; emailId: string; to: string[]; status: number }[] = [];
  private webhook?: { url: string; secret: string };
  private readonly posting = new Set<Promise<void>>();
  private outageCount = 0;
  private outageOn = false;
  private server?: http.Server;
  baseUrl = '';

  /** Each answer waits this long (a provider is not instant; the drills use it to stretch processing). */
  latencyMs = 0;

  constructor(private readonly opts: { apiKey?: string } = {}) {}

  /** The next responses, in order; afterwards every request succeeds. */
  respondWith(...responses: ScriptedResponse[]): void {
    this.script.push(...responses);
  }

  /**
   * Until `endOutage`, requests are answered in turn 429 (not sent), 500 (not sent) and 500 after
   * the email *was* sent: the worst case, where only the idempotency key prevents a second email.
   */
  startOutage(): void {
    this.outageOn = true;
  }

  endOutage(): void {
    this.outageOn = false;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.latencyMs) setTimeout(() => this.handle(req, body, res), this.latencyMs);
        else this.handle(req, body, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  client(): Resend {
    return new Resend(this.apiKey, { baseUrl: this.baseUrl });
  }

  get apiKey(): string {
    return this.opts.apiKey ?? FAKE_RESEND_API_KEY;
  }

  /** From now on, every accepted email is reported to `url` as Resend's webhook would report it. */
  sendEventsTo(url: string, secret: string): void {
    this.webhook = { url, secret };
  }

  /** Until every event posted so far has been answered. */
  async eventsSettled(): Promise<void> {
    while (this.posting.size) await Promise.all([...this.posting]);
  }

  async stop(): Promise<void> {
    await this.eventsSettled();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const reply = (status: number, body: unknown) => {
      if (email) email.status = status;
      if (req.url === '/emails' && req.method === 'POST') this.answers.push(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let email: (ReceivedEmail & { status?: number }) | undefined;
    if (req.method !== 'POST' || req.url !== '/emails') return reply(404, { statusCode: 404, name: 'not_found', message: req.url });
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return reply(401, { statusCode: 401, name: 'missing_api_key', message: 'no key' });
    const body = JSON.parse(raw) as {
      from: string;
      to: string | string[];
      subject: string;
      html: string;
      text: string;
      tags?: { name: string; value: string }[];
    };
    email = {
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      from: body.from,
      to: Array.isArray(body.to) ? body.to : [body.to],
      subject: body.subject,
      html: body.html,
      text: body.text,
      ...(body.tags ? { tags: body.tags } : {}),
    };
    this.requests.push(email);
    const scripted = this.script.shift();
    if (scripted) return reply(scripted.status, scripted.body);
    const known = email.idempotencyKey ? this.byKey.get(email.idempotencyKey) : undefined;
    if (this.outageOn) {
      const turn = this.outageCount++ % 3;
      if (turn === 0) return reply(resendError.rateLimited.status, resendError.rateLimited.body);
      if (turn === 1) return reply(resendError.serverError.status, resendError.serverError.body);
      // Sent, but the answer is lost. A key Resend has seen is never sent twice.
      if (!known) this.accept(email);
      return reply(resendError.serverError.status, resendError.serverError.body);
    }
    const payload = payloadHash(email);
    if (known) return known.payload === payload ? reply(200, { id: known.id }) : reply(resendError.differentPayload.status, resendError.differentPayload.body);
    reply(200, { id: this.accept(email) });
  }

  private accept(email: ReceivedEmail): string {
    const id = `email_${this.delivered.length + 1}_${Math.random().toString(36).slice(2, 8)}`;
    if (email.idempotencyKey) this.byKey.set(email.idempotencyKey, { id, payload: payloadHash(email) });
    this.delivered.push({ ...email, id });
    this.report(email, id);
    return id;
  }

  /** Resend reports seconds after accepting; here, once the answer is on its way. */
  private report(email: ReceivedEmail, id: string): void {
    const webhook = this.webhook;
    if (!webhook) return;
    const tag = email.tags?.find((t) => t.name === EMAIL_KEY_TAG)?.value;
    const type = outcomeFor(email.to);
    const event = emailEvent(type, { id, from: email.from, to: email.to, subject: email.subject, ...(tag ? { idempotencyKey: decodeEmailKey(tag) } : {}) });
    const posting: Promise<void> = new Promise<void>((r) => setTimeout(r, 20))
      .then(() => postEmailEvent(webhook.url, webhook.secret, event))
      .then((status) => void this.events.push({ type, emailId: id, to: email.to, status }))
      .finally(() => this.posting.delete(posting));
    this.posting.add(posting);
  }
}

const payloadHash = (e: ReceivedEmail) =>
  createHash('sha256')
    .update(JSON.stringify([e.from, e.to, e.subject, e.html, e.text]))
    .digest('hex');
