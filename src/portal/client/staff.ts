/**
 * The registry staff's pages: sign in through the university's identity
 * provider (the gateway's HttpOnly session cookie; the page never sees a
 * token), or with an API key (kept in sessionStorage, so it leaves with the
 * tab; for testing and where single sign-on is not set up), the review queue, the registrations list, one
 * registration with its files, decisions and audit trail, and the cohort
 * import. One small router over location.pathname; filters live in the query
 * string so the back button and shared links keep them.
 */
import type { ItemKind, ItemView, RegistrationForm, RejectionReason } from '../../../workflows/registration/types';
import { FILE_ITEM_KINDS, ITEM_LABELS, KIND_LABELS, SUPPLEMENTARY_PREFIX, isOpen } from '../../../workflows/registration/vocabulary';
import { endOfHongKongDay } from '../../hong-kong-time';
import { ApiError, staffApi, staffSignOut, type AuditEntry, type ImportJob, type StaffApi, type StaffIdentity, type StatusResponse } from './api';
import { append, bootData, busy, byId, dialog, fmtBytes, fmtDate, fmtDateTime, fmtRelative, fmtShort, h, mount, toast, type Child } from './dom';
import { daysList, formSummary, workingDays } from './facts';
import { ITEM_STATE, REJECTION_REASON, STATUS, STUDY_LEVEL, humanize, isDone } from './labels';
import type { StaffBoot } from '../index';
import { dashboardPage } from './dashboard';
import { QUEUE_EXTRAS, REGISTRATION_EXTRAS, extraFilters } from './list-filters';
import { reviewNextButton } from './review-next';
import { staffLive, type StaffStream } from './staff-live';

const KEY_STORAGE = 'progreg.staffKey';
const boot = bootData<StaffBoot>();
const app = byId('app')!;

let api: StaffApi;
let signedIn = false;
let me: StaffIdentity;
/** Bumped on every navigation so a slow page load cannot overwrite the page the user moved on to. */
let generation = 0;
let importTimer: number | undefined;
/** What the page on screen follows live; set by the page while it is built. */
let stream: StaffStream = { kind: 'none' };
const live = staffLive(() => api, () => redraw());


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
  const key = sessionStorage.getItem(KEY_STORAGE) ?? '';
  try {
    me = await staffApi(key).whoami();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      sessionStorage.removeItem(KEY_STORAGE);
      if (key) return signInPage('Your key is no longer valid. Please sign in again.');
      return signInPage(e.code === 'TOKEN_EXPIRED' ? 'Your session has expired. Please sign in again.' : e.status === 403 ? e.message : undefined);
    }
    return mount(app, errorCard(e));
  }
  api = staffApi(key);
  signedIn = true;
  renderChrome();
  await route();
}

/** What the pages say for the codes the single sign-on callback sends (src/gateway/routes/sso.ts). */
const SSO_MESSAGES: Record<string, string> = {
  SSO_NO_ROLE: 'You are signed in at the university, but your account has no Academic Registry role (officer or admin). Ask the registry\'s administrator to add you to the registry group.',
  SSO_NOT_ACTIVATED: 'No registration belongs to this university account. Students: open the link in your invitation email.',
  SSO_FAILED: 'The sign-in could not be completed: it took too long, or its answer was not the one this browser asked for. Please sign in again.',
};

// Links between staff pages are followed in place; the back button walks the same history.
window.addEventListener('popstate', () => signedIn && void route());
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!signedIn || !a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin === location.origin && url.pathname.startsWith('/staff')) {
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  }
});

function signInPage(message?: string): void {
  byId('staff-nav')!.hidden = true;
  byId('masthead-user')!.replaceChildren();
  const input = h('input', { type: 'password', id: 'api-key', name: 'key', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'pgk_…', 'aria-describedby': 'key-hint' });
  const error = h('div', { class: 'notice tone-bad', role: 'alert', hidden: !message }, h('div', null, message ?? ''));
  const button = h('button', { class: boot.sso ? 'btn btn-ghost' : 'btn', type: 'submit' }, 'Sign in with the key');
  const sso = boot.sso
    ? h('div', { class: 'actions' }, h('a', { class: 'btn', id: 'sso-sign-in', href: '/auth/staff/sign-in' }, 'Sign in with your HKUST account'))
    : null;
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': boot.sso ? 'key-title' : 'signin-title' },
    boot.sso ? h('h2', { id: 'key-title' }, 'Or use an API key') : null,
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input, h('span', { class: 'hint', id: 'key-hint' }, 'For scripts and testing: a personal key starts with ', h('code', null, 'pgk_'), '. An administrator creates keys with ', h('code', null, 'npm run staff-key'), '. It is kept only in this browser tab.')),
    h('div', { class: 'actions' }, button),
  );
  const card = h(
    'section',
    { class: 'card center-page', 'aria-labelledby': 'signin-title' },
    h('p', { class: 'eyebrow' }, 'Academic Registry'),
    h('h1', { id: 'signin-title' }, 'Staff sign-in'),
    h('p', { class: 'muted' }, 'Review submitted documents, decide on items and import cohorts.'),
    error,
    h('div', { class: 'stack' }, sso, form),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    await busy(button, 'Signing in…', async () => {
      try {
        me = await staffApi(key).whoami();
      } catch (err) {
        error.replaceChildren(h('div', null, err instanceof ApiError && err.status === 401 ? 'This key is not valid, or has been revoked.' : messageOf(err)));
        error.hidden = false;
        input.focus();
        return;
      }
      sessionStorage.setItem(KEY_STORAGE, key);
      await start();
    });
  });
  mount(app, card);
  (byId('sso-sign-in') ?? input).focus();
}

async function signOut(): Promise<void> {
  live.stop();
  sessionStorage.removeItem(KEY_STORAGE);
  signedIn = false;
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
  mount(nav, h('ul', null, NAV.filter((n) => !n.admin || me.role === 'admin').map((n) => h('li', null, h('a', { href: n.path, 'data-nav': n.path }, n.label)))));
  nav.hidden = false;
  mount(
    byId('masthead-user')!,
    h('div', { class: 'who' }, h('strong', null, me.name), h('small', null, me.role === 'admin' ? 'Administrator' : 'Registry officer')),
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
    ? () => dashboardPage({ staffKey: sessionStorage.getItem(KEY_STORAGE) ?? '', role: me.role, navigate, itemName: (key) => itemName(key) })
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
  const mine = ++generation;
  clearTimeout(importTimer);
  const path = currentPath();
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('#staff-nav a'))) {
    const active = path === a.dataset.nav || (a.dataset.nav === '/staff/registrations' && path.startsWith('/staff/registrations/'));
    active ? a.setAttribute('aria-current', 'page') : a.removeAttribute('aria-current');
  }
  stream = streamFor(path);
  mount(app, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const content = await pageAt(path)();
    if (mine !== generation) return;
    mount(app, content);
    live.follow(stream);
    app.focus({ preventScroll: true });
    if (location.hash) byId(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView({ block: 'start' });
  } catch (e) {
    if (mine !== generation) return;
    if (e instanceof ApiError && e.status === 401) return signOut();
    mount(app, errorCard(e));
  }
}

/**
 * The page on screen drawn again with fresh data (a live change), where the user is:
 * no "Loading…", the scroll position kept, and the focus back on the same control.
 */
async function redraw(): Promise<void> {
  const mine = generation;
  const path = currentPath();
  const content = await pageAt(path)();
  if (mine !== generation) return;
  const focused = focusSelector(document.activeElement);
  const { scrollX, scrollY } = window;
  mount(app, content);
  live.follow(stream);
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

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

function errorCard(e: unknown): HTMLElement {
  return h(
    'section',
    { class: 'card', role: 'alert' },
    h('h1', null, e instanceof ApiError && e.status === 404 ? 'Not found' : 'Something went wrong'),
    h('p', null, messageOf(e)),
    e instanceof ApiError && e.requestId ? h('p', { class: 'small muted' }, `Request id ${e.requestId}`) : null,
  );
}

async function notFoundPage(): Promise<HTMLElement> {
  return h('section', { class: 'card' }, h('h1', null, 'No such page'), h('p', null, h('a', { href: '/staff/queue' }, 'Go to the review queue')));
}

function query(): URLSearchParams {
  return new URLSearchParams(location.search);
}

function pageHead(title: string, subtitle: Child, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('div', null, h('h1', null, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null), actions.length ? h('div', { class: 'actions' }, actions) : null);
}

/** A filter's drop-down; `all` labels the no-filter choice, or is null when one of the options is always chosen. */
function select(name: string, label: string, options: Array<[string, string]>, value: string | null, all: string | null = 'All'): HTMLElement {
  const id = `flt-${name}`;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name }, all === null ? null : h('option', { value: '' }, all), options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  );
}

function textFilter(name: string, label: string, value: string | null, placeholder = ''): HTMLElement {
  const id = `flt-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { type: 'text', id, name, value: value ?? '', placeholder }));
}

/** A filter form that writes its values into the URL, which reloads the page's data. */
function filterForm(...fields: HTMLElement[]): HTMLFormElement {
  const form = h('form', { class: 'filters card', role: 'search' }, fields, h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'submit' }, 'Apply'), h('a', { class: 'btn btn-secondary', href: location.pathname }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams();
    new FormData(form).forEach((v, k) => void (String(v).trim() && qs.set(k, String(v).trim())));
    navigate(`${location.pathname}${qs.toString() ? `?${qs}` : ''}`);
  });
  form.addEventListener('change', (e) => (e.target as HTMLElement).tagName === 'SELECT' && form.requestSubmit());
  return form;
}

function table(headers: Array<string | [string, string]>, rows: HTMLElement[], empty: string, caption: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, headers.map((x) => (Array.isArray(x) ? h('th', { scope: 'col', class: x[1] }, x[0]) : h('th', { scope: 'col' }, x))))),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: headers.length, class: 'empty' }, empty))),
    ),
  );
}

function pager(page: number, pageSize: number, total: number | undefined): HTMLElement {
  const pages = total === undefined ? page + 1 : Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number, text: string, disabled: boolean) => {
    const qs = query();
    qs.set('page', String(p));
    return disabled ? h('span', { class: 'btn btn-secondary btn-sm', 'aria-disabled': 'true' }, text) : h('a', { class: 'btn btn-secondary btn-sm', href: `${location.pathname}?${qs}` }, text);
  };
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = total === undefined ? page * pageSize : Math.min(total, page * pageSize);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('span', { class: 'muted' }, total === undefined ? `Page ${page}` : `${from}–${to} of ${total}`), h('span', { class: 'actions' }, link(page - 1, '← Previous', page <= 1), link(page + 1, 'Next →', page >= pages)));
}

const statusBadge = (status: string) => {
  const s = STATUS[status as keyof typeof STATUS] ?? { label: humanize(status), tone: 'neutral' };
  return h('span', { class: `badge tone-${s.tone}` }, s.label);
};

const stateBadge = (state: string) => {
  const s = ITEM_STATE[state as keyof typeof ITEM_STATE] ?? { staffLabel: humanize(state), tone: 'neutral' };
  return h('span', { class: `badge tone-${s.tone}` }, s.staffLabel);
};

const regLink = (no: string, text: Child = no, hash = '') => h('a', { href: `/staff/registrations/${encodeURIComponent(no)}${hash}` }, text);

/** The gateway builds the workflow's Temporal UI address from its configuration. */
const temporalLink = (url: string | undefined) =>
  url
    ? h('a', { class: 'btn btn-secondary', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'temporal-link' }, 'Open in Temporal UI ↗')
    : null;

const itemName = (key: string, label?: string) =>
  label ??
  (key.startsWith(SUPPLEMENTARY_PREFIX)
    ? (boot.supplementaryDocuments[key.slice(SUPPLEMENTARY_PREFIX.length)] ?? humanize(key.slice(SUPPLEMENTARY_PREFIX.length)))
    : (KIND_LABELS[key as ItemKind] ?? humanize(key)));

/** Item keys a registration can owe: the fixed kinds and each supplementary document. */
const outstandingOptions = (): Array<[string, string]> => [
  ...Object.entries(ITEM_LABELS),
  ...Object.entries(boot.supplementaryDocuments).map(([code, label]): [string, string] => [`${SUPPLEMENTARY_PREFIX}${code}`, label]),
];

// ---------------------------------------------------------------------------
// Review queue
// ---------------------------------------------------------------------------

async function queuePage(): Promise<HTMLElement> {
  const q = query();
  const filters = { programCode: q.get('programCode') ?? undefined, kind: q.get('kind') ?? undefined, state: q.get('state') ?? undefined, cohortId: q.get('cohortId') ?? undefined };
  const page = Number(q.get('page') ?? 1) || 1;
  const extra = extraFilters(q, QUEUE_EXTRAS);
  const result = await api.queue({ ...filters, ...extra.values, page });
  const rows = result.items.map((e) => {
    const late = e.slaBreached ?? false;
    return h(
      'tr',
      { 'data-application': e.applicationNo, 'data-item': e.itemKey },
      h('td', { class: `num ${late ? 'age-late' : ''}` }, String(e.ageWorkingDays), late ? h('span', { class: 'visually-hidden' }, ' (overdue)') : null),
      h('td', null, fmtShort(e.submittedAt)),
      h('td', null, regLink(e.applicationNo, e.name), h('div', { class: 'small muted mono' }, e.applicationNo)),
      h('td', null, e.programCode),
      h('td', null, itemName(e.itemKey, e.itemLabel), e.flag ? h('div', { class: 'small age-late', 'data-flag': '' }, e.flag) : null),
      h('td', null, stateBadge(e.state)),
      h('td', null, e.expectedVerificationBy ? fmtDate(e.expectedVerificationBy) : ''),
      h('td', null, h('a', { class: 'btn btn-sm', href: `/staff/registrations/${encodeURIComponent(e.applicationNo)}#review-${e.itemKey}`, 'aria-label': `Review ${itemName(e.itemKey, e.itemLabel)} of ${e.name}` }, 'Review')),
    );
  });
  return h(
    'div',
    null,
    pageHead('Review queue', "Submitted items, oldest first. Age counts Hong Kong working days; each item is due by its cohort's service level (Due by).", reviewNextButton(sessionStorage.getItem(KEY_STORAGE) ?? '', navigate)),
    extra.notice,
    filterForm(
      ...extra.hidden,
      textFilter('programCode', 'Program', filters.programCode ?? null, 'e.g. BEng-COMP'),
      select('kind', 'Item type', FILE_ITEM_KINDS.map((k) => [k, KIND_LABELS[k]]), filters.kind ?? null),
      select('state', 'Item status', [['SUBMITTED', 'Waiting for review'], ['REJECTED', 'Rejected, waiting for the student']], filters.state ?? 'SUBMITTED', null),
      textFilter('cohortId', 'Cohort', filters.cohortId ?? null),
    ),
    table(
      [['Age (working days)', 'num'], 'Submitted', 'Student', 'Program', 'Item', 'Status', 'Due by', ''],
      rows,
      'Nothing to review. Well done!',
      'Items waiting for review',
    ),
    pager(result.page ?? page, result.pageSize ?? (result.items.length || 50), result.total),
  );
}

// ---------------------------------------------------------------------------
// Late events: payments and activations after the outcome (recorded, never applied)
// ---------------------------------------------------------------------------

async function lateEventsPage(): Promise<HTMLElement> {
  const q = query();
  const f = {
    kind: q.get('kind') ?? undefined,
    cohortId: q.get('cohortId') ?? undefined,
    programCode: q.get('programCode') ?? undefined,
    applicationNo: q.get('applicationNo') ?? undefined,
  };
  const page = Number(q.get('page') ?? 1) || 1;
  const result = await api.lateEvents({ ...f, page });
  const rows = result.items.map((e) =>
    h(
      'tr',
      { 'data-application': e.applicationNo, 'data-kind': e.kind },
      h('td', null, fmtShort(e.at)),
      h('td', null, regLink(e.applicationNo, e.name, "#audit-title"), h('div', { class: 'small muted mono' }, e.applicationNo)),
      h('td', null, e.programCode),
      h('td', null, e.kind === 'PAYMENT' ? 'Payment' : 'Account activation'),
      h('td', null, statusBadge(e.registrationStatus), e.outcomeReason ? h('div', { class: 'small muted' }, e.outcomeReason) : null),
      h('td', { class: 'small' }, summary(e.data)),
    ),
  );
  return h(
    'div',
    null,
    pageHead('Late events', 'Payments and account activations that arrived after the registration reached its outcome. They changed nothing; the registry was emailed about each. Decide whether a refund or another step is needed.'),
    filterForm(
      select('kind', 'Event', [['PAYMENT', 'Payment'], ['ACTIVATION', 'Account activation']], f.kind ?? null),
      textFilter('programCode', 'Program', f.programCode ?? null),
      textFilter('cohortId', 'Cohort', f.cohortId ?? null),
      textFilter('applicationNo', 'Application no.', f.applicationNo ?? null),
    ),
    table(['Received', 'Student', 'Program', 'Event', 'Registration was', 'Details'], rows, 'No late events.', 'Late events'),
    pager(result.page ?? page, result.pageSize ?? (result.items.length || 50), result.total),
  );
}

// ---------------------------------------------------------------------------
// Registrations list
// ---------------------------------------------------------------------------

async function registrationsPage(): Promise<HTMLElement> {
  const q = query();
  const f = {
    status: q.get('status') ?? undefined,
    programCode: q.get('programCode') ?? undefined,
    cohortId: q.get('cohortId') ?? undefined,
    outstanding: q.get('outstanding') ?? undefined,
    overdue: q.get('overdue') === 'true' || undefined,
    q: q.get('q') ?? undefined,
    page: Number(q.get('page') ?? 1) || 1,
  };
  const extra = extraFilters(q, REGISTRATION_EXTRAS);
  const result = await api.registrations({ ...f, ...extra.values });
  const rows = result.items.map((r) =>
    h(
      'tr',
      { 'data-application': r.applicationNo },
      h('td', { class: 'mono' }, regLink(r.applicationNo)),
      h('td', null, r.name),
      h('td', null, r.programCode, h('div', { class: 'small muted' }, STUDY_LEVEL[r.studyLevel as keyof typeof STUDY_LEVEL] ?? r.studyLevel, ' · ', r.residency === 'LOCAL' ? 'Local' : 'Non-local')),
      h('td', null, r.cohortId),
      h('td', null, statusBadge(r.status)),
      h('td', { class: 'small' }, r.outstandingItems.length ? r.outstandingItems.map((k) => itemName(k)).join(', ') : h('span', { class: 'muted' }, 'None')),
      h('td', null, fmtDate(r.registrationDeadline)),
    ),
  );
  return h(
    'div',
    null,
    pageHead('Registrations', 'Every admitted student of the imported cohorts.'),
    extra.notice,
    filterForm(
      ...extra.hidden,
      textFilter('q', 'Search', f.q ?? null, 'Name, application no. or email'),
      select('status', 'Status', Object.entries(STATUS).map(([k, v]) => [k, v.label]), f.status ?? null),
      textFilter('programCode', 'Program', f.programCode ?? null),
      textFilter('cohortId', 'Cohort', f.cohortId ?? null),
      select('outstanding', 'Outstanding item', outstandingOptions(), f.outstanding ?? null),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', value: 'true', checked: f.overdue }), 'Overdue only'),
    ),
    table(['Application no.', 'Name', 'Program', 'Cohort', 'Status', 'Outstanding', 'Deadline'], rows, 'No registrations match these filters.', 'Registrations'),
    pager(result.page ?? f.page, result.pageSize ?? 50, result.total),
  );
}

// ---------------------------------------------------------------------------
// One registration
// ---------------------------------------------------------------------------

async function detailPage(no: string): Promise<HTMLElement> {
  const [v, audit] = await Promise.all([api.registration(no), api.audit(no).catch(() => [] as AuditEntry[])]);
  const trail = Array.isArray(audit) ? audit : audit.items;
  const open = isOpen(v.status);
  stream = { kind: 'registration', applicationNo: v.applicationNo, shownSeq: v.seq };
  return h(
    'div',
    null,
    h('p', { class: 'small' }, h('a', { href: '/staff/queue' }, '← Review queue'), ' · ', h('a', { href: '/staff/registrations' }, 'All registrations')),
    pageHead(v.student.name, h('span', null, h('span', { class: 'mono' }, v.applicationNo), ' · ', v.student.programCode, ' · ', statusBadge(v.status)), temporalLink(v.workflowUrl)),
    v.outcome ? h('div', { class: `notice tone-${STATUS[v.status].tone}` }, h('div', null, h('strong', null, `${STATUS[v.outcome.status].label}: ${humanize(v.outcome.reason)}`), h('p', null, v.outcome.detail), h('p', { class: 'small muted' }, fmtDateTime(v.outcome.at)))) : null,
    h(
      'div',
      { class: 'layout' },
      h(
        'div',
        { class: 'stack' },
        h('section', { class: 'card', 'aria-labelledby': 'items-title' }, h('h2', { id: 'items-title' }, 'Checklist'), v.items.map((item) => reviewItem(v, item, open))),
        formCard(v, open),
        h('section', { class: 'card', 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit trail'), auditTrail(trail)),
      ),
      h('aside', { class: 'stack' }, studentCard(v), deadlinesCard(v, open), emailsCard(v)),
    ),
  );
}

function reviewItem(v: StatusResponse, item: ItemView, open: boolean): HTMLElement {
  const actions = h('div', { class: 'actions' });
  if (open && item.state === 'SUBMITTED') {
    actions.append(
      h('button', { class: 'btn btn-ok btn-sm', type: 'button', 'data-action': 'verify', onclick: (e: Event) => decide(e, 'verify', v, item) }, 'Verify'),
      h('button', { class: 'btn btn-danger btn-sm', type: 'button', 'data-action': 'reject', onclick: (e: Event) => decide(e, 'reject', v, item) }, 'Reject…'),
    );
  }
  if (open && !isDone(item)) actions.append(h('button', { class: 'btn btn-secondary btn-sm', type: 'button', 'data-action': 'waive', onclick: (e: Event) => decide(e, 'waive', v, item) }, 'Waive…'));

  const latest = item.submissions[item.submissions.length - 1];
  return h(
    'article',
    { class: 'review-item', id: `review-${item.key}`, 'data-state': item.state, 'data-item': item.key },
    h(
      'div',
      { class: 'card-title' },
      h('h3', null, item.label, ' ', item.compulsory ? h('span', { class: 'tag compulsory' }, 'Compulsory') : h('span', { class: 'tag' }, 'Optional')),
      stateBadge(item.state),
    ),
    h(
      'p',
      { class: 'small muted' },
      item.submittedAt ? `Submitted ${fmtDateTime(item.submittedAt)}` : 'Nothing submitted yet',
      item.expectedVerificationBy && item.state === 'SUBMITTED' ? ` · due by ${fmtDate(item.expectedVerificationBy)}` : '',
      item.slaBreached ? h('strong', { class: 'age-late' }, ' · past the service level') : '',
      item.resubmitBy ? ` · resubmission window ends ${fmtDateTime(item.resubmitBy)}` : '',
    ),
    item.flag ? h('div', { class: 'notice tone-bad', role: 'note', 'data-flag': '' }, h('div', null, h('strong', null, 'Check before deciding: '), item.flag)) : null,
    item.submissions.length
      ? h(
          'ul',
          { class: 'files', 'aria-label': 'Files' },
          [...item.submissions].reverse().map((s) =>
            h(
              'li',
              null,
              h('span', { class: 'name' }, s.originalName),
              h('span', { class: 'muted' }, `v${s.version} · ${s.mediaType} · ${fmtBytes(s.size)}${s.imageWidth ? ` · ${s.imageWidth}×${s.imageHeight}px` : ''} · ${fmtShort(s.at)} · ${s.uploadedBy}`),
              s.documentId ? downloadButton(v.applicationNo, s.documentId, s.originalName) : null,
              s.documentId && s.mediaType.startsWith('image/') && s === latest ? previewButton(v.applicationNo, s.documentId) : null,
            ),
          ),
        )
      : null,
    item.reviews.length
      ? h(
          'ul',
          { class: 'timeline small', 'aria-label': 'Decisions' },
          item.reviews.map((r) =>
            h(
              'li',
              null,
              h('div', { class: 't-head' }, h('span', { class: 't-type' }, humanize(r.decision)), h('span', { class: 'muted' }, `${r.actor} · ${fmtShort(r.at)}`)),
              r.reasonCode ? h('div', null, REJECTION_REASON[r.reasonCode]) : null,
              r.note ? h('div', { class: 't-data' }, `“${r.note}”`) : null,
            ),
          ),
        )
      : null,
    actions.childElementCount ? actions : null,
  );
}

function downloadButton(no: string, documentId: string, name: string): HTMLElement {
  const b = h('button', { class: 'btn-link', type: 'button' }, 'Download');
  b.addEventListener('click', async () => {
    try {
      const blob = await api.download(no, documentId);
      const a = h('a', { href: URL.createObjectURL(blob), download: name });
      document.body.append(a);
      a.click();
      setTimeout(() => (URL.revokeObjectURL(a.href), a.remove()), 1000);
    } catch (e) {
      toast(messageOf(e), 'bad');
    }
  });
  return b;
}

/** Shows an uploaded photo inline (as a data: URL: the CSP allows those for images, not blob:). */
function previewButton(no: string, documentId: string): HTMLElement {
  const b = h('button', { class: 'btn-link', type: 'button' }, 'Preview');
  b.addEventListener('click', async () => {
    const blob = await api.download(no, documentId);
    const url = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.readAsDataURL(blob);
    });
    b.closest('li')?.after(h('li', null, h('div', { class: 'upload-preview' }, h('img', { src: url, alt: 'Uploaded photo' }))));
    b.remove();
  });
  return b;
}

async function decide(e: Event, action: 'verify' | 'reject' | 'waive', v: StatusResponse, item: ItemView): Promise<void> {
  const button = e.currentTarget as HTMLButtonElement;
  let run: () => Promise<unknown>;
  if (action === 'verify') {
    run = () => api.verify(v.applicationNo, item.key);
  } else if (action === 'reject') {
    const data = await dialog(
      `Reject “${item.label}”`,
      [
        h('p', { class: 'muted small' }, `${v.student.name} (${v.applicationNo}) will be emailed the reason and your note, and asked to upload a new file.`),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'reject-reason' }, 'Reason'),
          h('select', { id: 'reject-reason', name: 'reasonCode', required: true }, h('option', { value: '' }, 'Choose a reason…'), (Object.keys(REJECTION_REASON) as RejectionReason[]).map((code) => h('option', { value: code }, humanize(code)))),
        ),
        h('div', { class: 'field' }, h('label', { for: 'reject-note' }, 'Note to the student', h('span', { class: 'hint' }, 'Say what to fix; the student sees this.')), h('textarea', { id: 'reject-note', name: 'note', required: true, maxlength: 1000 })),
      ],
      'Reject item',
      'danger',
    );
    if (!data) return;
    run = () => api.reject(v.applicationNo, item.key, String(data.get('reasonCode')) as RejectionReason, String(data.get('note')).trim());
  } else {
    const data = await dialog(
      `Waive “${item.label}”`,
      [
        h('p', { class: 'muted small' }, 'The item will count as done. Your name and the reason are recorded.'),
        h('div', { class: 'field' }, h('label', { for: 'waive-reason' }, 'Reason'), h('textarea', { id: 'waive-reason', name: 'reason', required: true, maxlength: 1000 })),
      ],
      'Waive item',
    );
    if (!data) return;
    run = () => api.waive(v.applicationNo, item.key, String(data.get('reason')).trim());
  }
  await busy(button, action === 'verify' ? 'Verifying…' : 'Saving…', async () => {
    try {
      await run();
      toast(`${item.label}: ${action === 'verify' ? 'verified' : action === 'reject' ? 'rejected' : 'waived'}.`);
      await route();
    } catch (err) {
      toast(messageOf(err), 'bad');
    }
  });
}

function auditTrail(trail: AuditEntry[]): HTMLElement {
  if (!trail.length) return h('p', { class: 'muted' }, 'No events recorded yet.');
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'audit-trail' },
    [...trail].reverse().map((e) =>
      h(
        'li',
        null,
        h('div', { class: 't-head' }, h('span', { class: 't-type' }, humanize(e.type)), h('span', { class: 'muted' }, `${e.actor} · ${fmtDateTime(e.at)}`)),
        summary(e.data) ? h('div', { class: 't-data' }, summary(e.data)) : null,
      ),
    ),
  );
}

/** Fields that repeat the entry's own time and actor, or are ids nobody reads. */
const HIDDEN_EVENT_FIELDS = new Set(['actor', 'at', 'seq', 'sha256', 'documentId', 'idempotencyKey', 'uploadedBy']);

/** A one-line digest of an event's data: its simple fields, not nested blobs. */
function summary(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  return Object.entries(data as Record<string, unknown>)
    .filter(([k, v]) => v !== undefined && v !== null && typeof v !== 'object' && !HIDDEN_EVENT_FIELDS.has(k))
    .slice(0, 6)
    .map(([k, v]) => `${humanize(k).toLowerCase()}: ${String(v)}`)
    .join(' · ');
}

function studentCard(v: StatusResponse): HTMLElement {
  const s = v.student;
  const row = (k: string, val: Child) => [h('dt', null, k), h('dd', null, val)];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'student-title' },
    h('h2', { id: 'student-title' }, 'Student'),
    h(
      'dl',
      { class: 'kv' },
      row('Application', s.applicationNo),
      row('Personal email', h('a', { href: `mailto:${s.personalEmail}` }, s.personalEmail)),
      row('HKUST email', v.universityEmail ?? '—'),
      row('Program', s.programCode),
      row('Level', STUDY_LEVEL[s.studyLevel]),
      s.admissionRoute ? row('Route', s.admissionRoute === 'JUPAS' ? 'JUPAS' : 'Non-JUPAS') : null,
      row('Residency', s.residency === 'LOCAL' ? 'Local' : 'Non-local'),
      row('Cohort', s.cohortId),
      row('HKUST Card', v.cardReady ? h('span', { class: 'badge tone-ok' }, 'Ready to issue') : h('span', { class: 'badge tone-neutral' }, 'Not yet')),
    ),
  );
}

/** The submitted form, read-only; officers and admins correct it through the Correct… dialog (with a reason, audited). */
function formCard(v: StatusResponse, open: boolean): HTMLElement {
  const card = h('section', { class: 'card', 'aria-labelledby': 'form-title', id: 'form-card' }, h('h2', { id: 'form-title' }, 'Registration form'));
  if (!v.form) {
    card.append(h('p', { class: 'muted' }, 'Not submitted yet.'));
    return card;
  }
  card.append(formSummary(v.form));
  if (open) {
    const b = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button', 'data-action': 'correct-form' }, 'Correct…');
    b.addEventListener('click', () => correctForm(b, v, v.form!));
    card.append(b);
  }
  return card;
}

const FORM_FIELDS: Array<[keyof Omit<RegistrationForm, 'emergencyContact' | 'picsConsent'>, string]> = [
  ['legalName', 'Legal name'],
  ['preferredName', 'Preferred name'],
  ['chineseName', 'Chinese name'],
  ['dateOfBirth', 'Date of birth (YYYY-MM-DD)'],
  ['nationality', 'Nationality'],
  ['phone', 'Phone'],
  ['correspondenceAddress', 'Correspondence address'],
];
const CONTACT_FIELDS: Array<[keyof RegistrationForm['emergencyContact'], string]> = [
  ['name', 'Emergency contact: name'],
  ['relationship', 'Emergency contact: relationship'],
  ['phone', 'Emergency contact: phone'],
];

async function correctForm(button: HTMLButtonElement, v: StatusResponse, form: RegistrationForm): Promise<void> {
  const field = (name: string, label: string, value: string | undefined) =>
    h('div', { class: 'field' }, h('label', { for: `cf-${name}` }, label), h('input', { id: `cf-${name}`, name, value: value ?? '', maxlength: 500 }));
  const data = await dialog(
    'Correct the registration form',
    [
      h('p', { class: 'muted small' }, `Change what is wrong in ${v.student.name}'s form. Your name, the reason, and the values before and after are kept in the audit trail.`),
      ...FORM_FIELDS.map(([k, label]) => field(k, label, form[k])),
      ...CONTACT_FIELDS.map(([k, label]) => field(`emergencyContact.${k}`, label, form.emergencyContact[k])),
      h('div', { class: 'field' }, h('label', { for: 'cf-reason' }, 'Reason'), h('textarea', { id: 'cf-reason', name: 'reason', required: true, maxlength: 1000 })),
    ],
    'Save correction',
  );
  if (!data) return;
  const changes: Partial<Omit<RegistrationForm, 'emergencyContact'>> & { emergencyContact?: Partial<RegistrationForm['emergencyContact']> } = {};
  for (const [k] of FORM_FIELDS) {
    const value = String(data.get(k) ?? '').trim();
    if (value !== (form[k] ?? '')) changes[k] = value;
  }
  for (const [k] of CONTACT_FIELDS) {
    const value = String(data.get(`emergencyContact.${k}`) ?? '').trim();
    if (value !== form.emergencyContact[k]) changes.emergencyContact = { ...changes.emergencyContact, [k]: value };
  }
  if (!Object.keys(changes).length) return toast('Nothing was changed.', 'bad');
  await busy(button, 'Saving…', async () => {
    try {
      await api.correctForm(v.applicationNo, changes as Partial<RegistrationForm>, String(data.get('reason')).trim());
      toast('Form corrected.');
      await route();
    } catch (e) {
      toast(messageOf(e), 'bad');
    }
  });
}

function deadlinesCard(v: StatusResponse, open: boolean): HTMLElement {
  const line = (label: string, iso: string, passed: boolean) => h('li', null, h('span', { class: 'what' }, label), fmtDateTime(iso), h('div', { class: 'small muted' }, passed ? 'Passed' : fmtRelative(iso)));
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'dl-title' },
    h('h2', { id: 'dl-title' }, 'Deadlines'),
    h('ul', { class: 'side-list' }, line('Registration', v.deadlines.registration, v.deadlines.registrationPassed), v.deadlines.payment ? line('Tuition payment', v.deadlines.payment, v.deadlines.paymentPassed) : null),
    ...v.deadlineChanges.map((c) => h('p', { class: 'small muted' }, `${humanize(c.deadline)} extended on ${fmtShort(c.at)}: ${fmtDateTime(c.from)} → ${fmtDateTime(c.until)}`)),
    h(
      'p',
      { class: 'small muted', 'data-testid': 'policy-numbers' },
      `Verification within ${workingDays(v.policy.verificationSlaWorkingDays)} · resubmission window ${v.policy.resubmissionWindowDays} days`,
      v.policy.reminderDaysBefore.length ? ` · reminders ${daysList(v.policy.reminderDaysBefore)} before each deadline` : '',
    ),
  );
  if (open && me.role === 'admin') {
    const b = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button' }, 'Extend a deadline…');
    b.addEventListener('click', () => extendDeadline(b, v));
    card.append(b);
  }
  return card;
}

async function extendDeadline(button: HTMLButtonElement, v: StatusResponse): Promise<void> {
  const options: Array<[string, string]> = [];
  if (!v.deadlines.registrationPassed) options.push(['REGISTRATION', 'Registration deadline']);
  if (v.deadlines.payment && !v.deadlines.paymentPassed) options.push(['PAYMENT', 'Tuition payment deadline']);
  if (!options.length) return toast('Both deadlines have passed; they can no longer be extended.', 'bad');
  const data = await dialog(
    'Extend a deadline',
    [
      h('div', { class: 'field' }, h('label', { for: 'ext-which' }, 'Deadline'), h('select', { id: 'ext-which', name: 'deadline' }, options.map(([value, text]) => h('option', { value }, text)))),
      h('div', { class: 'field' }, h('label', { for: 'ext-until' }, 'New date', h('span', { class: 'hint' }, 'The end of this day, Hong Kong time')), h('input', { type: 'date', id: 'ext-until', name: 'until', required: true, min: new Date().toISOString().slice(0, 10) })),
      h('div', { class: 'field' }, h('label', { for: 'ext-reason' }, 'Reason'), h('textarea', { id: 'ext-reason', name: 'reason', required: true, maxlength: 1000 })),
    ],
    'Extend',
  );
  if (!data) return;
  const until = new Date(endOfHongKongDay(String(data.get('until')))).toISOString();
  await busy(button, 'Saving…', async () => {
    try {
      await api.extendDeadline(v.applicationNo, String(data.get('deadline')) as 'REGISTRATION' | 'PAYMENT', until, String(data.get('reason')).trim());
      toast('Deadline extended.');
      await route();
    } catch (e) {
      toast(messageOf(e), 'bad');
    }
  });
}

function emailsCard(v: StatusResponse): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'mail-title' },
    h('h2', { id: 'mail-title' }, 'Emails'),
    v.emails.length
      ? h(
          'ul',
          { class: 'side-list' },
          [...v.emails].reverse().map((m) =>
            m.delivery === 'FAILED'
              ? h(
                  'li',
                  { class: 'notice tone-bad', role: 'alert' },
                  h('span', { class: 'what' }, `${fmtShort(m.at)} · not delivered`),
                  // A refused email is not retried: staff must reach the student another way.
                  `${emailKindLabel(m.kind)} to ${m.to.join(', ')} was refused: ${m.error ?? 'unknown reason'}`,
                )
              : h('li', null, h('span', { class: 'what' }, `${fmtShort(m.at)} · ${m.delivery.toLowerCase()}`), m.subject),
          ),
        )
      : h('p', { class: 'muted small' }, 'None sent yet.'),
  );
}

const emailKindLabel = (kind: string) => kind.charAt(0) + kind.slice(1).toLowerCase().replace(/_/g, ' ');

// ---------------------------------------------------------------------------
// Cohort import
// ---------------------------------------------------------------------------

async function importPage(): Promise<HTMLElement> {
  if (me.role !== 'admin') return h('section', { class: 'card' }, h('h1', null, 'Import cohort'), h('p', null, 'Importing cohorts needs the administrator role.'));
  const input = h('input', { type: 'file', id: 'cohort-file', name: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const button = h('button', { class: 'btn', type: 'submit' }, 'Import');
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const drop = h(
    'div',
    { class: 'drop' },
    h('p', null, h('strong', null, 'Drop a CSV or JSON file here'), ' or choose one'),
    h('label', { for: 'cohort-file', class: 'visually-hidden' }, 'Cohort file'),
    input,
  );
  const form = h(
    'form',
    { class: 'card' },
    h('h2', null, 'Admitted students file'),
    h(
      'p',
      { class: 'small muted' },
      'One row per student with the columns ',
      h('code', null, 'applicationNo, name, personalEmail, programCode, studyLevel, admissionRoute, residency, cohortId, registrationDeadline'),
      ' and optionally ',
      h('code', null, 'paymentDeadline, supplementary'),
      '. Rows with problems are listed and skipped; the others are imported. Importing the same file again starts nothing new.',
    ),
    drop,
    h('div', { class: 'actions spaced' }, button),
  );
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('dragging')));
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    if (e.dataTransfer?.files.length) input.files = e.dataTransfer.files;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    if (!file) return;
    const mine = generation;
    await busy(button, 'Importing…', async () => {
      const bar = h('div', { class: 'bar' }, h('span'));
      mount(result, h('section', { class: 'card' }, h('h2', null, `Uploading ${file.name}`), bar));
      try {
        const job = await api.importCohort(file, (f) => ((bar.firstElementChild as HTMLElement).style.width = `${Math.round(f * 100)}%`));
        if (mine === generation) await followImport(job, result, mine);
        if (mine === generation) byId('recent-imports')?.replaceWith(await recentImports());
      } catch (err) {
        mount(result, h('div', { class: 'notice tone-bad', role: 'alert' }, h('div', null, h('strong', null, 'The file was not imported.'), h('p', null, messageOf(err)))));
      }
    });
  });
  return h('div', null, pageHead('Import cohort', 'Start the registration of every admitted student in a file.'), h('div', { class: 'stack' }, form, result, await recentImports()));
}

async function recentImports(): Promise<HTMLElement> {
  const { items } = await api.imports();
  const rows = items.map((j) =>
    h(
      'tr',
      null,
      h('td', null, j.createdAt ? fmtShort(j.createdAt) : ''),
      h('td', null, j.source ?? h('span', { class: 'muted' }, 'JSON')),
      h('td', null, (j.cohortIds ?? []).join(', ')),
      h('td', { class: 'num' }, String(j.total)),
      h('td', { class: 'num' }, String(j.started)),
      h('td', { class: 'num' }, String(j.existing)),
      h('td', { class: 'num' }, String(j.rejected.length)),
      h('td', null, h('span', { class: `badge tone-${j.status === 'DONE' ? 'ok' : j.status === 'RUNNING' ? 'info' : 'bad'}` }, humanize(j.status))),
      h('td', { class: 'small muted' }, j.actor ?? ''),
    ),
  );
  return h(
    'section',
    { id: 'recent-imports', 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title' }, 'Recent imports'),
    table(['When', 'File', 'Cohort', ['Rows', 'num'], ['Started', 'num'], ['Existing', 'num'], ['Rejected', 'num'], 'Status', 'By'], rows, 'No imports yet.', 'Recent imports'),
  );
}

/** Shows the import's progress until it is done, polling the job while workflows are being started. */
async function followImport(job: ImportJob, into: HTMLElement, mine: number): Promise<void> {
  mount(into, importReport(job));
  if (job.status !== 'RUNNING') return;
  await new Promise<void>((resolve) => {
    const tick = async () => {
      if (mine !== generation) return resolve();
      try {
        job = await api.importJob(job.id);
        mount(into, importReport(job));
      } catch (e) {
        toast(messageOf(e), 'bad');
      }
      if (job.status === 'RUNNING') importTimer = window.setTimeout(tick, 500);
      else resolve();
    };
    importTimer = window.setTimeout(tick, 500);
  });
}

function importReport(job: ImportJob): HTMLElement {
  const processed = job.started + job.existing + job.failed;
  const fraction = job.valid ? processed / job.valid : 1;
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': job.valid, 'aria-valuenow': processed, 'aria-label': 'Registrations started' }, h('span'));
  (bar.firstElementChild as HTMLElement).style.width = `${Math.round(fraction * 100)}%`;
  const stat = (n: number, label: string, id: string) => h('div', { class: 'stat', 'data-stat': id }, h('span', { class: 'n' }, String(n)), h('span', { class: 'l' }, label));
  const heading = job.status === 'RUNNING' ? 'Starting registrations…' : job.status === 'DONE' ? 'Import finished' : 'Import finished with failures';
  const card = h(
    'section',
    { class: 'card', 'data-import-status': job.status, 'aria-labelledby': 'import-title' },
    h('div', { class: 'card-title' }, h('h2', { id: 'import-title' }, heading), h('span', { class: `badge tone-${job.status === 'DONE' ? 'ok' : job.status === 'RUNNING' ? 'info' : 'bad'}` }, humanize(job.status))),
    bar,
    h('p', { class: 'small muted' }, `${processed} of ${job.valid} valid rows processed`, job.cohortIds?.length ? ` · cohort ${job.cohortIds.join(', ')}` : ''),
    h('div', { class: 'stat-row' }, stat(job.total, 'rows in the file', 'total'), stat(job.started, 'registrations started', 'started'), stat(job.existing, 'already registered', 'existing'), stat(job.rejected.length, 'rows rejected', 'rejected'), job.failed ? stat(job.failed, 'failed to start', 'failed') : null),
    job.duplicateOf ? h('div', { class: 'notice tone-info' }, h('div', null, 'This file was imported before; only missing registrations were started.')) : null,
  );
  if (job.rejected.length) {
    append(card, [
      h('h3', null, 'Rejected rows'),
      table(
        ['Line', 'Application no.', 'Problems'],
        job.rejected.map((r) => h('tr', null, h('td', { class: 'num' }, String(r.line)), h('td', { class: 'mono' }, r.applicationNo ?? '—'), h('td', null, h('ul', { class: 'checks' }, r.reasons.map((x) => h('li', { class: 'fail' }, x)))))),
        '',
        'Rejected rows',
      ),
    ]);
  }
  if (job.failures?.length) {
    append(card, [h('h3', { class: 'spaced' }, 'Failed to start'), h('ul', null, job.failures.map((f) => h('li', null, h('span', { class: 'mono' }, f.applicationNo), `: ${f.error}`))), h('p', { class: 'small muted' }, 'Import the same file again to retry them.')]);
  }
  return card;
}

void start();
