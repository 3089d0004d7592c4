/**
 * Students and staff as the drills play them: over HTTP against the real
 * gateway, the way the portal and API clients do, retrying what a client
 * should retry (no answer, 429, 503) with the same Idempotency-Key. Every
 * answer is written to a ledger, so a drill can report each 5xx other than 503
 * with its route, request and response.
 *
 * A student signs in with the link from the invitation email the fake Resend
 * received, exactly as a person would.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { FakeResend } from '../test/kit/fake-resend';
import { aPdf, validForm } from '../test/kit/samples';

export interface LedgerEntry {
  at: number;
  method: string;
  route: string;
  status: number | 'no answer';
  request?: string;
  response?: string;
}

/** Every answer the drill got, and the bad ones in full. */
export class Ledger {
  readonly counts = new Map<string, number>();
  readonly serverErrors: LedgerEntry[] = [];
  /** Answers that were wrong about what happened: a 5xx for an action that took effect, a refusal of one's own earlier success. */
  readonly misleading: string[] = [];

  record(e: LedgerEntry): void {
    const key = String(e.status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (typeof e.status === 'number' && e.status >= 500 && e.status !== 503) this.serverErrors.push(e);
  }

  count(status: number | 'no answer'): number {
    return this.counts.get(String(status)) ?? 0;
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}

export interface Answer {
  status: number;
  body: any;
}

export class Api {
  constructor(
    public baseUrl: string,
    readonly ledger: Ledger,
  ) {}

  /** One request; a connection that fails is recorded as 'no answer' and thrown. */
  async send(
    method: string,
    route: string,
    opts: { bearer?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Answer> {
    const headers = new Headers(opts.headers);
    if (opts.bearer) headers.set('authorization', `Bearer ${opts.bearer}`);
    if (opts.json !== undefined) headers.set('content-type', 'application/json');
    const request = opts.json !== undefined ? JSON.stringify(opts.json).slice(0, 300) : undefined;
    try {
      const res = await fetch(`${this.baseUrl}${route}`, {
        method,
        headers,
        body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      this.ledger.record({ at: Date.now(), method, route, status: res.status, request, response: res.status >= 500 ? text.slice(0, 400) : undefined });
      return { status: res.status, body };
    } catch (e) {
      this.ledger.record({ at: Date.now(), method, route, status: 'no answer', request, response: String((e as Error).message) });
      throw e;
    }
  }

  /**
   * What a well-behaved client does: retries on no answer, 429 and 503 with backoff and the same
   * Idempotency-Key, until `untilMs`. Returns every answer in order (the last one decides).
   */
  async retrying(
    method: string,
    route: string,
    opts: Parameters<Api['send']>[2] & { untilMs?: number; makeBody?: () => BodyInit; signHeaders?: () => Record<string, string> } = {},
  ): Promise<Answer[]> {
    const until = Date.now() + (opts.untilMs ?? 120_000);
    const headers = { 'idempotency-key': randomUUID(), ...opts.headers };
    const answers: Answer[] = [];
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await this.send(method, route, {
          ...opts,
          headers: { ...headers, ...opts.signHeaders?.() },
          body: opts.makeBody ? opts.makeBody() : opts.body,
        });
        answers.push(a);
        if (a.status !== 429 && a.status !== 503) return answers;
      } catch {
        // no answer: the gateway is down or the request timed out
      }
      if (Date.now() > until) return answers;
      await delay(Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
    }
  }
}

/** The token of the registration link in the student's invitation email, as the student would click it. */
export function invitationToken(fake: FakeResend, email: string): string | undefined {
  const invitation = fake.delivered.find((e) => e.to.includes(email) && /Invitation/.test(e.subject));
  return invitation?.text.match(/\/invite\?token=([A-Za-z0-9._~-]+)/)?.[1];
}

function signWebhook(secret: string, body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

export type StudentAction = 'session' | 'activation' | 'form' | 'upload' | 'decline';

/** One student: what they did and which of it the gateway acknowledged (2xx). */
export class Student {
  session?: string;
  readonly acknowledged = new Set<StudentAction>();
  /** Actions that ended without success (kept trying until the drill's time ran out). */
  readonly unfinished = new Set<StudentAction>();
  /** Actions whose retry was refused as a repeat: the audit decides whether the first attempt took effect. */
  readonly repeatRefused = new Set<StudentAction>();

  constructor(
    readonly applicationNo: string,
    readonly email: string,
  ) {}

  private get base() {
    return `/api/registrations/${this.applicationNo}`;
  }

  async signIn(api: Api, fake: FakeResend, untilMs?: number): Promise<boolean> {
    const token = invitationToken(fake, this.email);
    if (!token) return this.fail('session');
    const answers = await api.retrying('POST', '/api/session', { json: { token }, untilMs });
    const last = answers.at(-1);
    if (last?.status !== 200) return this.fail('session');
    this.session = last.body.token;
    return this.ok('session');
  }

  async activate(api: Api, webhookSecret: string, untilMs?: number): Promise<boolean> {
    const body = JSON.stringify({
      id: `act-${this.applicationNo}`,
      type: 'account.activated',
      applicationNo: this.applicationNo,
      universityEmail: `${this.applicationNo.toLowerCase()}@connect.ust.hk`,
    });
    // A sender re-signs each delivery (the signature carries the time); the delivery id stays the same.
    const answers = await api.retrying('POST', '/api/webhooks/identity', {
      untilMs,
      makeBody: () => body,
      headers: { 'content-type': 'application/json' },
      signHeaders: () => ({ 'x-progreg-signature': signWebhook(webhookSecret, body) }),
    });
    // 409 WEBHOOK_REPLAYED after a lost answer is right for a webhook: the delivery was accepted before.
    return this.settle('activation', answers, [202, 409], api.ledger);
  }

  async submitForm(api: Api, untilMs?: number): Promise<boolean> {
    const answers = await api.retrying('POST', `${this.base}/form`, {
      bearer: this.session,
      json: { form: { ...validForm, legalName: this.applicationNo } },
      untilMs,
    });
    return this.settle('form', answers, [200], api.ledger);
  }

  /** A real PDF of about `bytes` (large enough that a killed gateway is caught mid-stream). */
  async upload(api: Api, untilMs?: number, bytes = 256 * 1024): Promise<boolean> {
    const pdf = aPdf(`identification of ${this.applicationNo} ${'x'.repeat(bytes)}`);
    const makeBody = () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'id.pdf');
      return form;
    };
    const answers = await api.retrying('POST', `${this.base}/items/ID_DOCUMENT/documents`, { bearer: this.session, makeBody, untilMs });
    return this.settle('upload', answers, [200, 201], api.ledger);
  }

  async decline(api: Api, untilMs?: number): Promise<boolean> {
    const answers = await api.retrying('POST', `${this.base}/decline`, { bearer: this.session, json: { reason: 'Going elsewhere' }, untilMs });
    return this.settle('decline', answers, [200], api.ledger);
  }

  /**
   * A 409 after an attempt that got no answer or a 503 is the workflow refusing a repeat of what the
   * earlier attempt already did: the action took effect (the audit checks it) but the student was told otherwise.
   */
  private settle(action: StudentAction, answers: Answer[], success: number[], ledger: Ledger): boolean {
    const last = answers.at(-1);
    if (last && success.includes(last.status)) return this.ok(action);
    if (last?.status === 409 && answers.length > 1) {
      ledger.misleading.push(`${this.applicationNo} ${action}: ${answers.map((a) => a.status).join(' → ')}`);
      return this.ok(action, true);
    }
    return this.fail(action);
  }

  private ok(action: StudentAction, repeatRefused = false): true {
    if (repeatRefused) this.repeatRefused.add(action);
    else this.acknowledged.add(action);
    this.unfinished.delete(action);
    return true;
  }

  private fail(action: StudentAction): false {
    this.unfinished.add(action);
    return false;
  }
}
