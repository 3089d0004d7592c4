/**
 * The codec endpoint (src/gateway/routes/codec.ts): staff read sealed payloads
 * through it, from the Temporal UI's origin or the Temporal CLI; nobody else
 * does, and no other origin is answered.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { startStaffSession, STAFF_SESSION_COOKIE } from '../../src/gateway/auth/staff-sessions';
import { temporalCliPath } from '../../src/temporal/binaries';
import { registrationWorkflowId } from '../../workflows/registration/api';
import { devServerEnv } from '../kit/servers';
import { admit, fetchJson, startStack, type TestStack } from './support';

const UI_ORIGIN = 'http://localhost:8233';
const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
const toWire = (p: temporal.api.common.v1.IPayload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});
const fromWire = (p: { metadata: Record<string, string>; data: string }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

describe('codec endpoint for the Temporal UI and CLI', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let staffCookie: string;

  before(async () => {
    stack = await startStack({ TEMPORAL_UI_URL: `${UI_ORIGIN}/` });
    const { token } = await startStaffSession(stack.prisma, stack.config, { subject: 'codec-test', name: 'Officer Codec', role: 'officer' });
    staffCookie = `${STAFF_SESSION_COOKIE}=${token}`;
  });
  after(() => stack?.stop());

  /** The sealed input a registration was started with, as Temporal holds it. */
  async function sealedStartInput(applicationNo: string) {
    const env = await devServerEnv();
    const { history } = await env.connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: registrationWorkflowId(applicationNo) },
    });
    return history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  }

  it("opens a registration's sealed input for staff (API key or staff session), and for no one else", async () => {
    const a = await admit(stack, { name: 'Tsang Hoi Yan Codec' });
    const sealed = await sealedStartInput(a.applicationNo);
    assert.equal(Buffer.from(sealed.metadata!.encoding!).toString(), 'binary/encrypted');
    const decode = (init: Parameters<typeof fetchJson>[1]) =>
      fetchJson(`${stack.url}/codec/decode`, {
        method: 'POST',
        json: { payloads: [toWire(sealed)] },
        ...init,
        headers: { 'x-namespace': 'default', ...(init?.headers as object) },
      });

    for (const res of [await decode({ bearer: stack.officerKey }), await decode({ headers: { cookie: staffCookie } })]) {
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const opened = fromWire(res.body.payloads[0]);
      assert.equal(opened.metadata.encoding!.toString(), 'json/plain');
      const [input] = [defaultPayloadConverter.fromPayload<{ student: { name: string } }>(opened)];
      assert.equal(input.student.name, 'Tsang Hoi Yan Codec');
    }
    const nobody = await decode({});
    assert.equal(nobody.status, 401);
    assert.equal(nobody.body.code, 'UNAUTHENTICATED');
    const student = await decode({ bearer: a.session });
    assert.equal(student.status, 403);
    assert.doesNotMatch(JSON.stringify([nobody.body, student.body]), /Tsang/);
    // Another namespace's payloads are not this codec's to open.
    const other = await decode({ bearer: stack.officerKey, headers: { 'x-namespace': 'elsewhere' } });
    assert.equal(other.status, 403);
  });

  it('the Temporal CLI shows the decoded history with --codec-endpoint and a staff key, and ciphertext without the key', async function () {
    const cli = temporalCliPath();
    if (!cli) this.skip();
    const a = await admit(stack, { name: 'Ip Chun Kit Codec' });
    const env = await devServerEnv();
    const show = (...extra: string[]) =>
      promisify(execFile)(cli!, [
        'workflow',
        'show',
        '--address',
        env.address,
        '--workflow-id',
        registrationWorkflowId(a.applicationNo),
        '--output',
        'json',
        '--codec-endpoint',
        `${stack.url}/codec`,
        ...extra,
      ]).then(
        (r) => r.stdout,
        (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
    // JSON output keeps each payload's bytes in base64: the start input as the CLI got it back from the codec.
    const startInput = (out: string): string => {
      try {
        const payload = JSON.parse(out).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
        return `${Buffer.from(payload.metadata.encoding, 'base64').toString()} ${Buffer.from(payload.data, 'base64').toString()}`;
      } catch {
        return out;
      }
    };
    assert.match(startInput(await show('--codec-auth', `Bearer ${stack.officerKey}`)), /^json\/plain .*"name":"Ip Chun Kit Codec"/);
    assert.doesNotMatch(startInput(await show()), /Ip Chun Kit Codec/);
  });

  it("answers CORS for the Temporal UI's origin only, with credentials, past the same-origin guard", async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const ui = await preflight(UI_ORIGIN);
    assert.equal(ui.status, 204);
    assert.equal(ui.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(ui.headers.get('access-control-allow-credentials'), 'true');
    assert.match(ui.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
    const evil = await preflight('https://evil.example');
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);

    // The UI's own request: cross-origin, same-site, with the staff cookie, as Chromium sends it.
    const [sealed] = (
      await fetchJson(`${stack.url}/codec/encode`, {
        method: 'POST',
        bearer: stack.officerKey,
        json: { payloads: [toWire(defaultPayloadConverter.toPayload('Ng Ka Ho'))] },
      })
    ).body.payloads;
    const fromUi = (origin: string, site: string) =>
      fetchJson(`${stack.url}/codec/decode`, {
        method: 'POST',
        json: { payloads: [sealed] },
        headers: { origin, 'sec-fetch-site': site, 'x-namespace': 'default', cookie: staffCookie },
      });
    const res = await fromUi(UI_ORIGIN, 'same-site');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(defaultPayloadConverter.fromPayload(fromWire(res.body.payloads[0])), 'Ng Ka Ho');
    const cross = await fromUi('https://evil.example', 'cross-site');
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.get('access-control-allow-origin'), null);
  });

  it('encodes with the active key, passes plaintext through, keeps a payload it cannot open, and refuses a malformed body', async () => {
    const plain = toWire(defaultPayloadConverter.toPayload({ note: 'plain' }));
    const enc = await fetchJson(`${stack.url}/codec/encode`, { method: 'POST', bearer: stack.officerKey, json: { payloads: [plain] } });
    assert.equal(enc.status, 200);
    assert.equal(Buffer.from(enc.body.payloads[0].metadata['encryption-key-id'], 'base64').toString(), 'dev-1');
    const foreign = {
      metadata: { encoding: b64(Buffer.from('binary/encrypted')), 'encryption-key-id': b64(Buffer.from('gone-1')) },
      data: b64(Buffer.alloc(40)),
    };
    const dec = await fetchJson(`${stack.url}/codec/decode`, {
      method: 'POST',
      bearer: stack.officerKey,
      json: { payloads: [enc.body.payloads[0], plain, foreign] },
    });
    assert.equal(dec.status, 200);
    assert.deepEqual(dec.body.payloads, [plain, plain, foreign]);
    const bad = await fetchJson(`${stack.url}/codec/decode`, { method: 'POST', bearer: stack.officerKey, json: { payloads: [{ data: 'not base64!' }] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'VALIDATION_FAILED');
  });
});
