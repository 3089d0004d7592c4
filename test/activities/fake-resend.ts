/**
 * A local stand-in for the Resend HTTP API (POST /emails), so the real
 * `resend` SDK can be tested against it via RESEND_BASE_URL / baseUrl. It
 * answers from a script (e.g. 429, then 500, then success) or, for the fault
 * drills, from an outage (a stretch of time in which it answers 429 and 500),
 * keeps every request, and, like Resend, answers a repeated Idempotency-Key
 * with the first result instead of sending again, or, when the payload differs
 * from the first request's, with 409 `invalid_idempotent_request`.
 * `delivered` is the ground truth of what students received.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';

export interface ReceivedEmail {
  idempotencyKey?: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

export type ScriptedResponse = { status: number; body: Record<string, unknown> };

/** Error bodies as Resend sends them. */
export const resendError = {
  rateLimited: { status: 429, body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests.' } },
  serverError: { status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'Unexpected error.' } },
  invalidAddress: { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' } },
  differentPayload: {
    status: 409,
    body: { statusCode: 409, name: 'invalid_idempotent_request', message: 'Same idempotency key used with a different request payload. Change your idempotency key or payload.' },
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

  async stop(): Promise<void> {
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
    const body = JSON.parse(raw) as { from: string; to: string | string[]; subject: string; html: string; text: string };
    email = {
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      from: body.from,
      to: Array.isArray(body.to) ? body.to : [body.to],
      subject: body.subject,
      html: body.html,
      text: body.text,
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
    return id;
  }
}

const payloadHash = (e: ReceivedEmail) => createHash('sha256').update(JSON.stringify([e.from, e.to, e.subject, e.html, e.text])).digest('hex');
