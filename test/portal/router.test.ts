/**
 * The portal as the gateway serves it, over HTTP: the page shells, the
 * bundled assets with their content-hashed names and caching, and nothing the
 * gateway's Content-Security-Policy would block.
 */
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../gateway/support';

describe('portal router (through the gateway)', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway();
  });
  after(async () => gw?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers, redirect: 'manual' });

  for (const [path, app] of [
    ['/portal/', 'student'],
    ['/portal', 'student'],
    ['/staff/', 'staff'],
    ['/staff/registrations/A2027000123', 'staff'],
  ] as const) {
    it(`GET ${path} serves the ${app} shell, revalidated on every visit`, async () => {
      const res = await get(path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const html = await res.text();
      assert.match(html, new RegExp(`<body data-app="${app}">`));
      assert.match(html, new RegExp(`<script type="module" src="/portal/assets/${app}\\.[0-9a-f]{10}\\.js"></script>`));
      assert.match(html, /<link rel="stylesheet" href="\/portal\/assets\/portal\.[0-9a-f]{10}\.css">/);
    });
  }

  it("the shell runs no inline script, so the gateway's Content-Security-Policy holds", async () => {
    const res = await get('/portal/');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    assert.equal(scripts.length, 2);
    for (const attrs of scripts) assert.ok(/\bsrc="\/portal\/assets\//.test(attrs) || /type="application\/json"/.test(attrs), attrs);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  });

  it('assets are served by their hashed names, cached for good, and answer 304 to their ETag', async () => {
    const html = await (await get('/staff/')).text();
    const js = /src="(\/portal\/assets\/staff\.[0-9a-f]{10}\.js)"/.exec(html)![1]!;
    const css = /href="(\/portal\/assets\/portal\.[0-9a-f]{10}\.css)"/.exec(html)![1]!;

    const script = await get(js);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(await script.text(), /progreg\.staffKey/);

    const again = await get(js, { 'if-none-match': script.headers.get('etag')! });
    assert.equal(again.status, 304);

    const style = await get(css);
    assert.equal(style.status, 200);
    assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(await style.text(), /--navy/);
  });

  it("an unknown asset is the gateway's JSON 404", async () => {
    const res = await get('/portal/assets/student.0000000000.js');
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.code, 'NOT_FOUND');
  });

  it('the values the page needs before signing in are in a JSON block that cannot break out of it', async () => {
    const html = await (await get('/portal/')).text();
    const boot = /<script type="application\/json" id="portal-boot">(.*?)<\/script>/s.exec(html)![1]!;
    // The test gateway runs in development, where the built-in identity provider offers single sign-on.
    assert.deepEqual(JSON.parse(boot), { registryContact: 'progreg@ust.hk', sso: true });
  });
});
