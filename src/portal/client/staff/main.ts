/**
 * The registry staff's pages: sign in through the university's identity
 * provider (the gateway's HttpOnly session cookie; the page never sees a
 * token), or with an API key (kept in sessionStorage, so it leaves with the
 * tab; for testing and where single sign-on is not set up), the review queue, the registrations list, one
 * registration with its files, decisions and audit trail, and the cohort
 * import. One small router over location.pathname (this file); filters live
 * in the query string so the back button and shared links keep them. Each
 * page is a file of its own beside this one.
 */
import { ApiError, staffApi, staffSignOut } from '../api';
import { byId, h, mount } from '../dom';
import { dashboardPage } from './dashboard';
import { detailPage } from './detail';
import { importPage } from './import';
import { lateEventsPage } from './late-events';
import { staffLive, type StaffStream } from './live';
import { queuePage } from './queue';
import { registrationsPage } from './registrations';
import { KEY_STORAGE, setRouter, staff, staffKey } from './session';
import { SSO_MESSAGES, signInPage as signInPageFor } from './sign-in';
import { errorCard, itemName, query } from './widgets';

const app = byId('app')!;
const live = staffLive(
  () => staff.api,
  () => redraw(),
);
const signInPage = (message?: string) => signInPageFor(message, start);

// ---------------------------------------------------------------------------
// Sign-in and navigation
// ---------------------------------------------------------------------------

async function start(): Promise<void> {
  // The single sign-on callback lands here, with ?error=<code> when it could not sign the person in.
  const ssoError = new URLSearchParams(location.search).get('error');
  if (ssoError) {
    history.replaceState(null, '', '/staff/');
    return signInPage(SSO_MESSAGES[ssoError] ?? SSO_MESSAGES.SSO_FAILED);
  }
  // No key: the single sign-on cookie, if there is one, authenticates the requests.
  const key = staffKey();
  try {
    staff.me = await staffApi(key).whoami();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      sessionStorage.removeItem(KEY_STORAGE);
      if (key) return signInPage('Your key is no longer valid. Please sign in again.');
      return signInPage(e.code === 'TOKEN_EXPIRED' ? 'Your session has expired. Please sign in again.' : e.status === 403 ? e.message : undefined);
    }
    return mount(app, errorCard(e));
  }
  staff.api = staffApi(key);
  staff.signedIn = true;
  renderChrome();
  await route();
}

// Links between staff pages are followed in place; the back button walks the same history.
window.addEventListener('popstate', () => staff.signedIn && void route());
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!staff.signedIn || !a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin === location.origin && url.pathname.startsWith('/staff')) {
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  }
});

async function signOut(): Promise<void> {
  live.stop();
  sessionStorage.removeItem(KEY_STORAGE);
  staff.signedIn = false;
  // Ends the single sign-on session on the server (nothing to end when a key was used).
  await staffSignOut().catch(() => undefined);
  history.replaceState(null, '', '/staff/');
  signInPage('You have signed out.');
}

const NAV = [
  { path: '/staff', label: 'Dashboard' },
  { path: '/staff/queue', label: 'Review queue' },
  { path: '/staff/registrations', label: 'Registrations' },
  { path: '/staff/late-events', label: 'Late events' },
  { path: '/staff/import', label: 'Import cohort', admin: true },
];

function renderChrome(): void {
  const nav = byId('staff-nav')!;
  mount(
    nav,
    h(
      'ul',
      null,
      NAV.filter((n) => !n.admin || staff.me.role === 'admin').map((n) => h('li', null, h('a', { href: n.path, 'data-nav': n.path }, n.label))),
    ),
  );
  nav.hidden = false;
  mount(
    byId('masthead-user')!,
    h('div', { class: 'who' }, h('strong', null, staff.me.name), h('small', null, staff.me.role === 'admin' ? 'Administrator' : 'Registry officer')),
    h('button', { class: 'btn btn-ghost btn-sm', type: 'button', onclick: () => void signOut() }, 'Sign out'),
  );
}

function navigate(to: string): void {
  history.pushState(null, '', to);
  void route();
}

/** The page at a path: a function that loads it and builds its content. */
function pageAt(path: string): () => Promise<HTMLElement> {
  const detail = /^\/staff\/registrations\/([^/]+)$/.exec(path);
  return path === '/staff'
    ? () => dashboardPage({ staffKey: staffKey(), role: staff.me.role, navigate, itemName: (key) => itemName(key) })
    : path === '/staff/queue'
      ? queuePage
      : path === '/staff/registrations'
        ? registrationsPage
        : detail
          ? () => detailPage(decodeURIComponent(detail[1]!))
          : path === '/staff/import'
            ? importPage
            : path === '/staff/late-events'
              ? lateEventsPage
              : notFoundPage;
}

const currentPath = () => location.pathname.replace(/\/+$/, '') || '/staff';

/** Lists and the dashboard follow every registration's changes (narrowed to the cohort their filters name). */
function streamFor(path: string): StaffStream {
  if (path === '/staff' || path === '/staff/queue' || path === '/staff/registrations' || path === '/staff/late-events') {
    return { kind: 'all', cohortId: query().get('cohortId') ?? query().get('cohort') ?? undefined };
  }
  return { kind: 'none' };
}

async function route(): Promise<void> {
  const mine = ++staff.generation;
  clearTimeout(staff.importTimer);
  const path = currentPath();
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('#staff-nav a'))) {
    const active = path === a.dataset.nav || (a.dataset.nav === '/staff/registrations' && path.startsWith('/staff/registrations/'));
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  staff.stream = streamFor(path);
  mount(app, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const content = await pageAt(path)();
    if (mine !== staff.generation) return;
    mount(app, content);
    live.follow(staff.stream);
    app.focus({ preventScroll: true });
    if (location.hash) byId(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView({ block: 'start' });
  } catch (e) {
    if (mine !== staff.generation) return;
    if (e instanceof ApiError && e.status === 401) return signOut();
    mount(app, errorCard(e));
  }
}

/**
 * The page on screen drawn again with fresh data (a live change), where the user is:
 * no "Loading…", the scroll position kept, and the focus back on the same control.
 */
async function redraw(): Promise<void> {
  const mine = staff.generation;
  const path = currentPath();
  const content = await pageAt(path)();
  if (mine !== staff.generation) return;
  const focused = focusSelector(document.activeElement);
  const { scrollX, scrollY } = window;
  mount(app, content);
  live.follow(staff.stream);
  window.scrollTo(scrollX, scrollY);
  const again = focused ? app.querySelector<HTMLElement>(focused) : null;
  (again ?? app).focus({ preventScroll: true });
}

/** A selector that finds the same control in the redrawn page. */
function focusSelector(el: Element | null): string | undefined {
  if (!el || el === app || !app.contains(el)) return undefined;
  if (el.id) return `#${CSS.escape(el.id)}`;
  const href = el.getAttribute('href');
  if (href) return `a[href="${CSS.escape(href)}"]`;
  const action = (el as HTMLElement).dataset.action;
  const item = el.closest<HTMLElement>('[data-item]')?.dataset.item;
  if (action && item) return `[data-item="${CSS.escape(item)}"] [data-action="${CSS.escape(action)}"]`;
  return undefined;
}

async function notFoundPage(): Promise<HTMLElement> {
  return h('section', { class: 'card' }, h('h1', null, 'No such page'), h('p', null, h('a', { href: '/staff/queue' }, 'Go to the review queue')));
}

setRouter({ route, navigate });
void start();
