/**
 * Live pages' event streams over HTTP: a change the worker projects reaches a
 * stream on another gateway (two gateways on one PostgreSQL, as behind the
 * load balancer), Last-Event-ID picks up what a reconnecting page missed, and
 * the streams are authorised as the reads behind the pages.
 */
import assert from 'node:assert/strict';
import { createStaffKey, revokeStaffKey } from '../../src/gateway/auth/staff-keys';
import { uniq } from '../kit/servers';
import { admit, eventually, fetchJson, projected, startGateway, startStack, type TestGateway, type TestStack } from './support';
import { validForm } from '../kit/samples';

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** An open event stream read as the browser's EventSource reads it. */
class Stream {
  readonly events: SseEvent[] = [];
  private buffer = '';
  private constructor(
    readonly status: number,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<Stream> {
    const controller = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    const stream = new Stream(res.status, controller);
    if (res.status !== 200 || !res.body) {
      controller.abort();
      return stream;
    }
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) stream.take(decoder.decode(chunk, { stream: true }));
      } catch {
        // aborted
      }
    })();
    return stream;
  }

  private take(text: string): void {
    this.buffer += text;
    let end;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        const m = /^(id|event|data): ?(.*)$/.exec(line);
        if (m) event[m[1] as keyof SseEvent] = m[2];
      }
      if (event.id !== undefined || event.data !== undefined) this.events.push(event);
    }
  }

  changes(): Array<{ id: number; data: any }> {
    return this.events.filter((e) => e.event === 'change').map((e) => ({ id: Number(e.id), data: JSON.parse(e.data!) }));
  }

  async waitFor(check: (s: Stream) => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > until) throw new Error(`stream: condition not met within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.controller.abort();
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateway: live event streams', function () {
  this.timeout(120_000);
  let stack: TestStack;
  /** A second gateway on the same PostgreSQL, with its own LISTEN connection: the other one behind the load balancer. */
  let other: TestGateway;
  const streams: Stream[] = [];
  const open = async (url: string, headers?: Record<string, string>) => {
    const s = await Stream.open(url, headers);
    streams.push(s);
    return s;
  };

  before(async function () {
    this.timeout(240_000);
    stack = await startStack();
    other = await startGateway();
  });
  afterEach(() => streams.splice(0).forEach((s) => s.close()));
  after(async function () {
    this.timeout(60_000);
    await other?.close();
    await stack?.stop();
  });

  const projectedSeq = async (no: string) => (await stack.prisma.registration.findUnique({ where: { applicationNo: no }, select: { seq: true } }))?.seq ?? -1;
  /** The projected seq once the registration has stopped changing (the invitation's own changes come in after the start). */
  const settledSeq = async (no: string) => {
    for (let last = await projectedSeq(no); ;) {
      await pause(700);
      const now = await projectedSeq(no);
      if (now === last && now > 0) return now;
      last = now;
    }
  };

  it('a change the worker projects reaches the student’s stream on the other gateway, and the staff stream, at once', async () => {
    const a = await admit(stack, { cohortId: uniq('live-') });
    const before = await settledSeq(a.applicationNo);
    const mine = await open(`${other.url}/api/registrations/${a.applicationNo}/events`, { authorization: `Bearer ${a.session}` });
    assert.equal(mine.status, 200);
    // First the number the page should compare with what it shows.
    await mine.waitFor((s) => s.changes().length === 1);
    assert.deepEqual(mine.changes()[0], { id: before, data: { seq: before } });

    const token = (await fetchJson(`${other.url}/api/events/token`, { method: 'POST', bearer: stack.officerKey })).body.streamToken as string;
    const staff = await open(`${other.url}/api/events?cohortId=${encodeURIComponent(a.student.cohortId)}&stream_token=${encodeURIComponent(token)}`);
    assert.equal(staff.status, 200);
    await staff.waitFor((s) => s.events.length >= 1); // the id-only mark: nothing to redraw yet
    assert.equal(staff.changes().length, 0);

    const t0 = Date.now();
    const form = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: validForm } });
    assert.equal(form.status, 200, JSON.stringify(form.body));
    const after = await projected(stack, a.applicationNo); // the answer comes first; its projection follows
    assert.ok(after > before, `the form moved the projected seq (${before} → ${after})`);
    await mine.waitFor((s) => s.changes().some((c) => c.data.seq === after), 2_000);
    await staff.waitFor((s) => s.changes().some((c) => c.data.applicationNo === a.applicationNo && c.data.seq === after), 2_000);
    const ms = Date.now() - t0;
    assert.ok(ms < 2_000, `within the update's own answer plus a moment (${ms} ms)`);
    // Ids: the registration's seq on its stream; the global change number, rising, on the staff stream.
    assert.equal(mine.changes().at(-1)!.id, after);
    const ids = staff.changes().map((c) => c.id);
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => x - y),
    );
    assert.equal(staff.changes().at(-1)!.data.cohortId, a.student.cohortId);
  });

  it('a reconnection with Last-Event-ID gets what it missed at once, and nothing when it missed nothing', async () => {
    const a = await admit(stack, { cohortId: uniq('live-') });
    const first = await eventually(
      () => projectedSeq(a.applicationNo),
      (s) => s > 0,
    );
    await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/form`, { method: 'POST', bearer: a.session, json: { form: validForm } });
    const now = await settledSeq(a.applicationNo);
    assert.ok(now > first);
    const url = `${other.url}/api/registrations/${a.applicationNo}/events`;

    const behind = await open(url, { authorization: `Bearer ${a.session}`, 'last-event-id': String(first) });
    await behind.waitFor((s) => s.changes().length === 1);
    assert.deepEqual(behind.changes(), [{ id: now, data: { seq: now } }]);

    const current = await open(url, { authorization: `Bearer ${a.session}`, 'last-event-id': String(now) });
    assert.equal(current.status, 200);
    await pause(500);
    assert.deepEqual(current.changes(), [], 'up to date: no event');

    // The staff stream: an old id means "re-read everything" once; the latest id means nothing.
    const token = (await fetchJson(`${stack.url}/api/events/token`, { method: 'POST', bearer: stack.adminKey })).body.streamToken as string;
    const latest = (await fetchJson(`${stack.url}/api/events`, { bearer: stack.adminKey })).body.changeNo as number;
    assert.ok(latest > 0);
    const staffBehind = await open(`${other.url}/api/events?stream_token=${token}`, { 'last-event-id': String(latest - 1) });
    await staffBehind.waitFor((s) => s.changes().length === 1);
    assert.deepEqual(staffBehind.changes()[0]!.data, { resync: true });
    assert.ok(staffBehind.changes()[0]!.id >= latest);
  });

  it('streams are authorised as the reads behind the pages', async () => {
    const a = await admit(stack, { cohortId: uniq('live-') });
    const b = await admit(stack, { cohortId: uniq('live-') });
    await eventually(
      () => projectedSeq(a.applicationNo),
      (s) => s > 0,
    );
    const url = `${stack.url}/api/registrations/${a.applicationNo}/events`;
    assert.equal((await open(url)).status, 401, 'nobody');
    assert.equal((await open(url, { authorization: `Bearer ${b.session}` })).status, 403, 'another student');
    assert.equal((await open(url, { authorization: `Bearer ${stack.officerKey}` })).status, 200, 'staff with the key');
    assert.equal((await open(`${stack.url}/api/events`, { authorization: `Bearer ${a.session}` })).status, 403, 'a student on the staff stream');
    assert.equal((await open(`${stack.url}/api/events?stream_token=forged.token.value`)).status, 401, 'a forged stream token');
    assert.equal((await fetchJson(`${stack.url}/api/events/token`, { method: 'POST', bearer: a.session })).status, 403, 'students get no stream token');

    const officer = await createStaffKey(stack.prisma, { name: uniq('officer.'), role: 'officer' });
    const token = (await fetchJson(`${stack.url}/api/events/token`, { method: 'POST', bearer: officer.key })).body.streamToken as string;
    assert.equal(
      (await open(`${stack.url}/api/registrations/${a.applicationNo}/events?stream_token=${token}`)).status,
      200,
      'the stream token opens a registration’s stream',
    );
    await revokeStaffKey(stack.prisma, officer.id);
    assert.equal((await open(`${stack.url}/api/events?stream_token=${token}`)).status, 401, 'not once its key is revoked');
  });

  it('without Accept: text/event-stream, one JSON answer with the current number (no open stream)', async () => {
    const a = await admit(stack, { cohortId: uniq('live-') });
    const seq = await eventually(
      () => projectedSeq(a.applicationNo),
      (s) => s > 0,
    );
    const res = await fetchJson(`${stack.url}/api/registrations/${a.applicationNo}/events`, { bearer: a.session });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { seq });
    const missing = await fetchJson(`${stack.url}/api/registrations/NO-SUCH-1/events`, { bearer: stack.adminKey });
    assert.equal(missing.status, 404);
  });
});
