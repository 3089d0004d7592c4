/**
 * Errors a client causes keep their 4xx through the real app, whichever layer
 * raises them (the router decoding a path, the JSON body parser): a path with
 * malformed percent-encoding and a body that is not JSON are 400 with the
 * machine-readable error body, never 500.
 */
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from './support';
import { rawRequest } from './raw-http';

describe('gateway: client errors keep their 4xx', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  const logLines: string[] = [];
  before(async () => {
    gw = await startGateway({ logLines });
  });
  after(async () => gw?.close());

  const get = (path: string) => rawRequest(gw.url, [`GET ${path} HTTP/1.1\r\nHost: ${new URL(gw.url).host}\r\nConnection: close\r\n\r\n`]);

  for (const path of ['/api/registrations/%E0%A4%A', '/api/registrations/%E0%A4%A/documents', '/api/registrations/%ZZ', '/portal/%E0%A4%A']) {
    it(`GET ${path} → 400 VALIDATION_FAILED, logged below error level`, async () => {
      const answer = await get(path);
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.equal(answer.json?.code, 'VALIDATION_FAILED');
      assert.match(answer.json?.message, /percent-encoding/i);
      assert.equal(typeof answer.json?.requestId, 'string');
      const line = logLines.map((l) => JSON.parse(l)).find((l) => l.reqId === answer.json.requestId || l.req?.id === answer.json.requestId);
      assert.ok(line, 'the request was logged');
      assert.ok(line.level < 50, `logged at level ${line.level} (error is 50)`);
      assert.equal(line.err?.stack, undefined, 'no stack trace for a client error');
    });
  }

  it('a JSON body that does not parse → 400 VALIDATION_FAILED', async () => {
    const res = await fetch(`${gw.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token": "abc' });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.code, 'VALIDATION_FAILED');
    assert.deepEqual(body.details.issues, [{ in: 'body', path: '', message: 'not valid JSON' }]);
  });
});
