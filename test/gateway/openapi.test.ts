import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/gateway/errors';
import { REJECTION_REASONS } from '../../workflows/registration/api';
import { fetchJson, startGateway, type TestGateway } from './support';

describe('gateway: API description', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  it('serves an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const res = await fetchJson(`${gw.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, item]) =>
      Object.entries(item).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })),
    );
    for (const expected of [
      'POST /api/imports',
      'GET /api/registrations',
      'GET /api/registrations/{applicationNo}',
      'GET /api/registrations/{applicationNo}/audit',
      'GET /api/review-queue',
      'POST /api/registrations/{applicationNo}/items/{itemKey}/verify',
      'POST /api/registrations/{applicationNo}/items/{itemKey}/reject',
      'POST /api/registrations/{applicationNo}/items/{itemKey}/waive',
      'POST /api/registrations/{applicationNo}/deadline',
      'GET /api/registrations/{applicationNo}/documents/{documentId}',
      'POST /api/registrations/{applicationNo}/items/{itemKey}/documents',
      'POST /api/session',
      'POST /api/webhooks/identity',
      'POST /api/webhooks/payments',
      'GET /readyz',
    ]) {
      assert.ok(
        ops.some((o) => o.key === expected),
        `${expected} is documented`,
      );
    }
    for (const { key, op } of ops) {
      assert.ok(op.summary, `${key} has a summary`);
      assert.ok(op.responses['500'], `${key} documents its errors`);
    }
    // The reject body's enum is the workflow's list of reasons: the same schema validates and documents.
    const reject = doc.paths['/api/registrations/{applicationNo}/items/{itemKey}/reject'].post;
    const body = reject.requestBody.content['application/json'].schema;
    assert.deepEqual(body.properties.reasonCode.enum, [...REJECTION_REASONS]);
    // Staff routes: an API key (machine clients, the CLI) or the single sign-on session cookie.
    assert.deepEqual(reject.security, [{ staffApiKey: [] }, { staffSession: [] }]);
    assert.deepEqual(doc.components.schemas.Error.properties.code.enum, Object.values(ErrorCode));
    const upload = doc.paths['/api/registrations/{applicationNo}/items/{itemKey}/documents'].post;
    for (const status of ['400', '401', '403', '404', '409', '413', '415', '422']) assert.ok(upload.responses[status], `upload documents ${status}`);
    assert.ok(doc.components.securitySchemes.webhookSignature);
  });

  it('documents every JSON body as closed, and the gateway refuses a key the body does not name (webhook senders excepted)', async () => {
    const doc = (await fetchJson(`${gw.url}/openapi.json`)).body;
    const resolve = (schema: any) => (schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema);
    const open: string[] = [];
    const walk = (schema: any, where: string): void => {
      const s = resolve(schema);
      if (!s || typeof s !== 'object') return;
      if (s.type === 'object' && s.properties && s.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${where}.${k}`);
      if (s.items) walk(s.items, `${where}[]`);
      for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(alt, where);
    };
    let bodies = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      // The university's systems and Resend sign their deliveries and may add fields; an import's rows (and its preview's)
      // are checked one by one and reported in the import's own report.
      if (path.startsWith('/api/webhooks/') || path.startsWith('/api/imports')) continue;
      for (const [method, op] of Object.entries(item)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        bodies++;
        walk(schema, `${method.toUpperCase()} ${path} body`);
      }
    }
    assert.ok(bodies >= 15, `only ${bodies} JSON bodies`);
    assert.deepEqual(open, [], 'objects that allow keys the schema does not name');

    // What the document says is what the gateway does: an unknown key is a 400 naming it, before the token is even read.
    const res = await fetchJson(`${gw.url}/api/session`, { method: 'POST', json: { token: 'not-a-token', remember: true } });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.code, 'VALIDATION_FAILED');
    assert.match(res.body.message, /Unrecognized key: "remember"/);
  });

  it('serves a readable docs page without any external resource', async () => {
    const res = await fetch(`${gw.url}/docs`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<h2 id="tag-imports">imports<\/h2>/);
    assert.match(html, /\/api\/registrations\/\{applicationNo\}\/items\/\{itemKey\}\/reject/);
    assert.match(html, /PHOTO_SPEC_NOT_MET/);
    assert.doesNotMatch(html, /(src|href)="https?:/, 'no CDN');
  });
});
