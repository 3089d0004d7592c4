/**
 * The student's registration page. The invitation link (GET /invite) signs the
 * student in and lands here; the page shows the checklist from the workflow's
 * status view and keeps it live: the registration's event stream says when it
 * changed (polling only while the stream is down; ../live.ts). This file
 * starts the session and draws the page from its parts: summary.ts (top),
 * steps.ts (the checklist), sidebar.ts, and signed-out.ts for the pages
 * without a session.
 */
import { ApiError, studentApi, type StatusResponse } from '../api';
import { busy, byId, h, mount, unawaited } from '../dom';
import { ITEM_STATE, STATUS } from '../labels';
import { follow } from '../live';
import { announce, setRefresh, student } from './session';
import { cardReadiness, declineCard, helpCard } from './sidebar';
import { showFailure, showLinkProblem, showOtherSession, showSignedOut } from './signed-out';
import { renderSteps } from './steps';
import { nextStepCard, outcomeCard, summaryCard } from './summary';

const POLL_MS = 4000;
const app = byId('app')!;

// ---------------------------------------------------------------------------
// Start: the invitation link, then the session
// ---------------------------------------------------------------------------

async function start(): Promise<void> {
  // GET /invite (the link in the invitation email) signs the student in and lands here, or here with ?error=<code>.
  const linkError = new URLSearchParams(location.search).get('error');
  if (linkError) {
    history.replaceState(null, '', '/portal/');
    return showLinkProblem(linkError);
  }
  try {
    student.applicationNo = (await studentApi.session()).applicationNo;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return showSignedOut(e.code === 'TOKEN_EXPIRED');
    return showFailure(e);
  }
  await refresh(true);
  if (!student.view) return;
  student.live = follow<{ seq: number }>({
    url: `/api/registrations/${encodeURIComponent(student.applicationNo)}/events`,
    // The stream names the newest change; the status is read as always (a newer one than the page shows).
    onChange: ({ seq }) => void (student.view && seq > student.view.seq && refresh()),
    poll: () => refresh(),
    pollMs: POLL_MS,
    onState: (state) => setLive(true, state),
  });
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void refresh());
}

// ---------------------------------------------------------------------------
// Live status
// ---------------------------------------------------------------------------

/**
 * Fetches the status and re-renders what changed (the stream or the fallback poll calls it; so do actions, with
 * `ownAction`: then the read names the action's change, which the answer holds, from the read model once it has
 * it or from the workflow before: studentApi.status).
 */
async function refresh(first = false, ownAction = false): Promise<void> {
  try {
    const next = await studentApi.status(student.applicationNo, ownAction);
    setLive(true);
    // An answer overtaken by a newer one (two refreshes in flight) is dropped.
    if (first || !student.view || next.seq > student.view.seq || (next.seq === student.view.seq && next.status !== student.view.status)) {
      if (student.view) announceChanges(student.view, next);
      student.view = next;
      render(next);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignedOut(e.code === 'TOKEN_EXPIRED');
    if (e instanceof ApiError && e.status === 403 && (await sessionMovedElsewhere())) return;
    if (first) return showFailure(e);
    setLive(false);
  }
}

/**
 * A 403 on the page's own registration: the browser's cookie was replaced by another student's
 * (a link confirmed in another tab). Says so, rather than retrying as if the network were down.
 */
async function sessionMovedElsewhere(): Promise<boolean> {
  const now = await studentApi.session().catch(() => undefined);
  if (!now || now.applicationNo === student.applicationNo) return false;
  showOtherSession(now.applicationNo);
  return true;
}

let liveState: 'live' | 'polling' = 'polling';
function setLive(ok: boolean, state = liveState): void {
  liveState = state;
  const dot = byId('live');
  if (!dot) return;
  dot.classList.toggle('offline', !ok);
  dot.dataset.live = state;
  dot.textContent = ok ? 'Updates automatically' : 'Reconnecting…';
}

/** Says what changed from the checklist's live region (a screen reader reads it out; the cards themselves show it). */
function announceChanges(before: StatusResponse, after: StatusResponse): void {
  const old = new Map(before.items.map((i) => [i.key, i.state]));
  const said: string[] = [];
  for (const item of after.items) {
    const was = old.get(item.key);
    if (was && was !== item.state)
      said.push(`${item.label}: ${ITEM_STATE[item.state].label}.${item.state === 'REJECTED' ? ' The reason is in its step.' : ''}`);
  }
  if (before.status !== after.status) said.push(`Registration status: ${STATUS[after.status].label}.`);
  announce(said.join(' '));
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

function render(v: StatusResponse): void {
  renderMasthead(v);
  let layout = byId('layout');
  if (!layout) {
    layout = h(
      'div',
      { class: 'layout', id: 'layout' },
      h(
        'div',
        { class: 'stack' },
        h('div', { id: 'summary', class: 'stack' }),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'checklist-title' },
          h(
            'div',
            { class: 'card-title' },
            h('h2', { id: 'checklist-title' }, 'Your registration checklist'),
            h('span', { id: 'live', class: 'live-dot' }, 'Updates automatically'),
          ),
          h('p', { id: 'announcer', class: 'visually-hidden', role: 'status' }),
          h('ol', { class: 'steps', id: 'steps' }),
        ),
      ),
      h('aside', { id: 'aside', class: 'stack', 'aria-label': 'Help and information' }),
    );
    mount(app, layout);
  }
  mount(byId('summary')!, summaryCard(v), outcomeCard(v), nextStepCard(v));
  renderSteps(v);
  mount(byId('aside')!, cardReadiness(v), helpCard(v), v.status === 'IN_PROGRESS' ? declineCard() : null);
}

function renderMasthead(v: StatusResponse): void {
  const signOut = h('button', { class: 'btn btn-ghost btn-sm', type: 'button' }, 'Sign out');
  signOut.addEventListener(
    'click',
    unawaited(() =>
      busy(signOut, 'Signing out…', async () => {
        await studentApi.signOut().catch(() => undefined);
        showSignedOut(false);
      }),
    ),
  );
  mount(byId('masthead-user')!, h('div', { class: 'who' }, h('strong', null, v.student.name), h('small', null, `Application no. ${v.applicationNo}`)), signOut);
}

setRefresh(() => refresh(false, true));
void start();
