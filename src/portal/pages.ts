/**
 * The HTML shells of the portal's pages: masthead, an empty <main> the page's
 * script fills in, footer, and the values the script needs from the server
 * (in a JSON block, which the Content-Security-Policy allows because it is
 * never executed). No inline script or style, so helmet's default CSP holds.
 */
import type { AssetSet } from './assets';

export type PortalApp = 'student' | 'staff';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON that cannot close the <script> element it sits in. */
const safeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const subtitle: Record<PortalApp, string> = {
  student: 'Online Program Registration',
  staff: 'Academic Registry · Registration review',
};

export function renderShell(opts: { app: PortalApp; title: string; assets: AssetSet; boot: unknown; registryContact: string }): string {
  const { app, title, assets, boot, registryContact } = opts;
  const css = assets.byName['portal.css'].file;
  const js = assets.byName[`${app}.js`].file;
  const home = app === 'student' ? '/portal/' : '/staff/';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/portal/assets/${css}">
<script type="module" src="/portal/assets/${js}"></script>
<script type="application/json" id="portal-boot">${safeJson(boot)}</script>
</head>
<body data-app="${app}">
<a class="skip-link" href="#app">Skip to content</a>
<header class="masthead">
  <div class="masthead-inner">
    <a class="brand" href="${home}">
      <span class="brand-mark" aria-hidden="true">HKUST</span>
      <span class="brand-text">
        <span class="brand-name">The Hong Kong University of Science and Technology</span>
        <span class="brand-sub">${esc(subtitle[app])}</span>
      </span>
    </a>
    <div class="masthead-user" id="masthead-user"></div>
  </div>
</header>
<nav class="staff-nav" id="staff-nav" aria-label="Registry" hidden></nav>
<main id="app" tabindex="-1">
  <p class="loading">Loading…</p>
  <noscript><div class="card center-page"><h1>JavaScript is needed</h1><p>Please enable JavaScript in your browser to use the registration portal.</p></div></noscript>
</main>
<footer class="site-footer">
  <div class="inner">
    <span>Academic Registry, HKUST · Program registration enquiries: <a href="mailto:${esc(registryContact)}">${esc(registryContact)}</a></span>
    <span>${app === 'staff' ? '<a href="/docs">API documentation</a>' : 'Times are Hong Kong time (HKT)'}</span>
  </div>
</footer>
</body>
</html>
`;
}
