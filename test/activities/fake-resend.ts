/**
 * A local stand-in for the Resend HTTP API (POST /emails), so the real
 * `resend` SDK can be tested against it via RESEND_BASE_URL / baseUrl. It
 * answers from a script (e.g. 429, then 500, then success), keeps every
 * request, and, like Resend, answers a repeated Idempotency-Key with the
 * first result instead of sending again, or, when the payload differs from the
 * first request's, with 409 `invalid_idempotent_request`.
 */
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

export class FakeResend {
  /** Every request that reached the server, accepted or not. */
  readonly requests: ReceivedEmail[] = [];
  /** Emails actually accepted for delivery (what a student would receive). */
  readonly delivered: (ReceivedEmail & { id: string })[] = [];
  /** The status of every answer, in order (parallel to `requests`). */
  readonly answers: number[] = [];
  private readonly script: ScriptedResponse[] = [];
  /** The first accepted request per key: its id, and its payload to compare repeats with. */
  private readonly byKey = new Map<string, { id: string; payload: string }>();
  private server?: http.Server;
  baseUrl = '';

  /** The next responses, in order; afterwards every request succeeds. */
  respondWith(...responses: ScriptedResponse[]): void {
    this.script.push(...responses);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  client(): Resend {
    return new Resend('re_test_key', { baseUrl: this.baseUrl });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const reply = (status: number, body: unknown) => {
      if (req.url === '/emails' && req.method === 'POST') this.answers.push(status);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/emails') return reply(404, { statusCode: 404, name: 'not_found', message: req.url });
    if (req.headers.authorization !== 'Bearer re_test_key') return reply(401, { statusCode: 401, name: 'missing_api_key', message: 'no key' });
    const body = JSON.parse(raw) as { from: string; to: string | string[]; subject: string; html: string; text: string };
    const email: ReceivedEmail = {
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
    const payload = JSON.stringify([email.from, email.to, email.subject, email.html, email.text]);
    const known = email.idempotencyKey ? this.byKey.get(email.idempotencyKey) : undefined;
    if (known) return known.payload === payload ? reply(200, { id: known.id }) : reply(resendError.differentPayload.status, resendError.differentPayload.body);
    const id = `email_${this.delivered.length + 1}_${Math.random().toString(36).slice(2, 8)}`;
    if (email.idempotencyKey) this.byKey.set(email.idempotencyKey, { id, payload });
    this.delivered.push({ ...email, id });
    reply(200, { id });
  }
}
