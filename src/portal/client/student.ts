/**
 * The student's registration page. The invitation link (GET /invite) signs the
 * student in and lands here; the page shows the checklist from the workflow's
 * status view and keeps it live: the registration's event stream says when it
 * changed (polling only while the stream is down; live.ts). Cards are keyed by item and only
 * rebuilt when their item changed, so a half-filled form or a chosen file
 * survives every refresh.
 */
import type { ItemView, PolicyNumbers } from '../../../workflows/registration/types';
import { isOpen } from '../../../workflows/registration/vocabulary';
import { ApiError, studentApi, type StatusResponse } from './api';
import { bootData, busy, byId, dialog, fmtDate, fmtDateTime, fmtRelative, h, mount, toast } from './dom';
import { ITEM_HELP, ITEM_STATE, OUTCOME_REASON, REJECTION_REASON, STATUS, STUDY_LEVEL, isDone } from './labels';
import { daysList, formSummary, workingDays } from './facts';
import { registrationForm } from './student-form';
import { uploadPanel } from './student-upload';
import { follow, type Live } from './live';
import type { StudentBoot } from '../index';

const POLL_MS = 4000;
const boot = bootData<StudentBoot>();
const mail = (address: string) => h('a', { href: `mailto:${address}` }, address);
const app = byId('app')!;

let applicationNo = '';
let view: StatusResponse | undefined;
let live: Live | undefined;
const cards = new Map<string, { sig: string; el: HTMLElement }>();

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
    applicationNo = (await studentApi.session()).applicationNo;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return showSignedOut(e.code === 'TOKEN_EXPIRED');
    return showFailure(e);
  }
  await refresh(true);
  if (!view) return;
  live = follow<{ seq: number }>({
    url: `/api/registrations/${encodeURIComponent(applicationNo)}/events`,
    // The stream names the newest change; the status is read as always (a newer one than the page shows).
    onChange: ({ seq }) => void (view && seq > view.seq && refresh()),
    poll: () => refresh(),
    pollMs: POLL_MS,
    onState: (state) => setLive(true, state),
  });
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void refresh());
}

function showLinkProblem(code: string): void {
  if (code === 'SSO_NOT_ACTIVATED') return showSignedOut(false, 'No registration belongs to the university account you signed in with. If you have not activated your HKUST account yet, open your invitation link instead.');
  if (code === 'SSO_FAILED') return showSignedOut(false, 'The sign-in with your HKUST account could not be completed (it took too long, or was interrupted). Please try again.');
  const expired = code === 'TOKEN_EXPIRED';
  const limited = code === 'RATE_LIMITED';
  mount(
    app,
    h(
      'section',
      { class: 'card center-page', 'aria-labelledby': 'link-title' },
      h('h1', { id: 'link-title' }, expired ? 'This link has expired' : limited ? 'Please wait a moment' : 'This link does not work'),
      h(
        'p',
        null,
        expired
          ? 'Links are valid while your registration can still change. If you still need to reach it, ask for a new link below.'
          : limited
            ? 'There were too many attempts from your network. Wait a minute, then open the link from your invitation email again.'
            : 'The link may have been copied incompletely. Open it again from the email “HKUST: Invitation to Program Registration”.',
      ),
      expired ? newLinkForm() : null,
      h('p', null, 'Program registration enquiries: ', mail(boot.registryContact)),
    ),
  );
}

/**
 * "Email me a new link": the application number and the personal email. The answer is the
 * same whether or not they match (nobody can learn who is registered); the link goes only
 * to the address on record.
 */
function newLinkForm(): HTMLElement {
  const result = h('p', { role: 'status', id: 'new-link-result', class: 'small' });
  const submit = h('button', { class: 'btn', type: 'submit' }, 'Email me a new link');
  const form = h(
    'form',
    { class: 'stack', id: 'new-link-form', 'aria-labelledby': 'new-link-title', novalidate: false },
    h('h2', { id: 'new-link-title' }, 'Email me a new link'),
    h('div', { class: 'field' }, h('label', { for: 'nl-app' }, 'Application number'), h('input', { id: 'nl-app', name: 'applicationNo', required: true, autocomplete: 'off', maxlength: 40 })),
    h('div', { class: 'field' }, h('label', { for: 'nl-email' }, 'Personal email (the one you applied with)'), h('input', { id: 'nl-email', name: 'personalEmail', type: 'email', required: true, autocomplete: 'email', maxlength: 320 })),
    submit,
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    void busy(submit, 'Sending…', async () => {
      try {
        const answer = await studentApi.requestLink(String(data.get('applicationNo') ?? '').trim(), String(data.get('personalEmail') ?? '').trim());
        result.textContent = answer.message;
      } catch (err) {
        result.textContent = err instanceof ApiError && err.code === 'VALIDATION_FAILED' ? 'Please check the application number and the email address.' : err instanceof Error ? err.message : String(err);
      }
    });
  });
  return form;
}

/** Activated students can sign in with their university account instead of the link (single sign-on). */
const universitySignIn = () =>
  boot.sso
    ? h('div', { class: 'actions' }, h('a', { class: 'btn', id: 'sso-sign-in', href: '/auth/student/sign-in' }, 'Sign in with your HKUST account'), h('span', { class: 'hint' }, 'Once you have activated your HKUST account.'))
    : null;

function showSignedOut(expired: boolean, problem?: string): void {
  live?.close();
  live = undefined;
  byId('masthead-user')?.replaceChildren();
  mount(
    app,
    h(
      'section',
      { class: 'card center-page', 'aria-labelledby': 'so-title' },
      h('h1', { id: 'so-title' }, expired ? 'Your session has ended' : 'Open your invitation link'),
      problem ? h('div', { class: 'notice tone-bad', role: 'alert' }, h('div', null, problem)) : null,
      h(
        'p',
        null,
        'To reach your registration, open the Online Program Registration link in the email “HKUST: Invitation to Program Registration” sent to your personal email address.',
      ),
      universitySignIn(),
      h('p', { class: 'muted small' }, 'For your security, a session ends after some hours, or when you sign out.'),
      newLinkForm(),
      h('p', null, 'Enquiries: ', mail(boot.registryContact)),
      h('p', { class: 'small muted' }, 'Academic Registry staff: ', h('a', { href: '/staff/' }, 'sign in to the review pages'), '.'),
    ),
  );
}

function showFailure(e: unknown): void {
  mount(
    app,
    h(
      'section',
      { class: 'card center-page', role: 'alert' },
      h('h1', null, 'We could not load your registration'),
      h('p', null, e instanceof Error ? e.message : String(e)),
      h('button', { class: 'btn', type: 'button', onclick: () => location.reload() }, 'Try again'),
    ),
  );
}

// ---------------------------------------------------------------------------
// Live status
// ---------------------------------------------------------------------------

/** Fetches the status and re-renders what changed (the stream or the fallback poll calls it; so do actions). */
async function refresh(first = false): Promise<void> {
  try {
    const next = await studentApi.status(applicationNo);
    setLive(true);
    // An answer overtaken by a newer one (two refreshes in flight) is dropped.
    if (first || !view || next.seq > view.seq || (next.seq === view.seq && next.status !== view.status)) {
      if (view) announceChanges(view, next);
      view = next;
      render(next);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showSignedOut(e.code === 'TOKEN_EXPIRED');
    if (first) return showFailure(e);
    setLive(false);
  }
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

function announceChanges(before: StatusResponse, after: StatusResponse): void {
  const old = new Map(before.items.map((i) => [i.key, i.state]));
  for (const item of after.items) {
    const was = old.get(item.key);
    if (was && was !== item.state && item.state !== 'SUBMITTED') {
      toast(`${item.label}: ${ITEM_STATE[item.state].label}`, item.state === 'REJECTED' ? 'bad' : 'info');
    }
  }
  if (before.status !== after.status) toast(`Registration status: ${STATUS[after.status].label}`);
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
          h('div', { class: 'card-title' }, h('h2', { id: 'checklist-title' }, 'Your registration checklist'), h('span', { id: 'live', class: 'live-dot' }, 'Updates automatically')),
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
  signOut.addEventListener('click', () =>
    busy(signOut, 'Signing out…', async () => {
      await studentApi.signOut().catch(() => undefined);
      showSignedOut(false);
    }),
  );
  mount(byId('masthead-user')!, h('div', { class: 'who' }, h('strong', null, v.student.name), h('small', null, `Application no. ${v.applicationNo}`)), signOut);
}

function summaryCard(v: StatusResponse): HTMLElement {
  const total = v.items.length;
  const done = v.items.filter(isDone).length;
  const review = v.items.filter((i) => i.state === 'SUBMITTED').length;
  const status = STATUS[v.status];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'welcome' },
    h(
      'div',
      { class: 'hero' },
      h(
        'div',
        null,
        h('p', { class: 'eyebrow' }, 'Program registration'),
        h('h1', { id: 'welcome' }, `Welcome, ${v.student.name}`),
        h(
          'dl',
          { class: 'facts' },
          fact('Application no.', v.applicationNo),
          fact('Program', v.student.programCode),
          fact('Level', STUDY_LEVEL[v.student.studyLevel]),
          v.universityEmail ? fact('HKUST email', v.universityEmail) : null,
        ),
      ),
      h(
        'div',
        { class: 'progress-wrap' },
        h('div', { class: 'progress-label' }, h('span', null, 'Status'), h('span', { class: `badge badge-lg tone-${status.tone}`, id: 'status' }, status.label)),
        h(
          'div',
          {
            class: `progress ${done === total ? 'ok' : ''}`,
            role: 'progressbar',
            'aria-valuemin': 0,
            'aria-valuemax': total,
            'aria-valuenow': done,
            'aria-label': 'Steps done',
          },
          bar(total ? done / total : 0),
        ),
        h('p', { class: 'small muted tight' }, `${done} of ${total} steps done`, review ? ` · ${review} under review` : ''),
      ),
    ),
    h('div', { class: 'deadlines' }, deadline('Registration deadline', v.deadlines.registration, v.deadlines.registrationPassed), v.deadlines.payment ? deadline('Tuition payment deadline', v.deadlines.payment, v.deadlines.paymentPassed) : null),
    ...v.deadlineChanges.map((c) =>
      h(
        'p',
        { class: 'notice tone-info small', 'data-testid': 'deadline-change' },
        `Your ${c.deadline === 'PAYMENT' ? 'tuition payment' : 'registration'} deadline was extended on ${fmtDate(c.at)}: from ${fmtDateTime(c.from)} to ${fmtDateTime(c.until)}.`,
      ),
    ),
  );
}

/** Widths are set through the CSSOM, which the Content-Security-Policy does not restrict. */
function bar(fraction: number): HTMLElement {
  const el = h('span');
  el.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  return el;
}

const fact = (label: string, value: string) => h('div', null, h('dt', null, label), h('dd', null, value));

function deadline(label: string, iso: string, passed: boolean): HTMLElement {
  const soon = !passed && new Date(iso).getTime() - Date.now() < 7 * 86_400_000;
  return h(
    'div',
    { class: `deadline ${passed ? 'passed' : soon ? 'soon' : ''}` },
    h('div', { class: 'small muted' }, label),
    h('div', { class: 'when' }, fmtDateTime(iso)),
    h('div', { class: 'left' }, passed ? 'Passed' : `Due ${fmtRelative(iso)}`),
  );
}

function outcomeCard(v: StatusResponse): HTMLElement | null {
  if (v.status === 'IN_PROGRESS') return null;
  const reason = v.outcome ? OUTCOME_REASON[v.outcome.reason] : '';
  const content = {
    COMPLETED: {
      tone: 'ok',
      icon: '✓',
      title: 'Your program registration is complete',
      text: `${reason} An acknowledgement has been sent to your HKUST and personal email. Welcome to HKUST!`,
    },
    INCOMPLETE: {
      tone: 'warn',
      icon: '!',
      title: 'You are registered, with documents still to follow',
      text: `${reason} Please upload the remaining documents below as soon as they are available.`,
    },
    WITHDRAWN: {
      tone: 'bad',
      icon: '✕',
      title: 'Your registration has been withdrawn',
      text: `${reason} If you think this is a mistake, contact ${v.contacts.registration}.`,
    },
  }[v.status];
  return h(
    'section',
    { class: `card outcome tone-${content.tone}`, role: 'status', id: 'outcome' },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, content.icon),
    h('div', null, h('h2', null, content.title), h('p', null, content.text), v.outcome ? h('p', { class: 'small muted' }, `Since ${fmtDateTime(v.outcome.at)}`) : null),
  );
}

/** The one thing to do now, from the items: put right a rejection, then compulsory steps, then optional ones. */
function nextAction(v: StatusResponse): { item?: ItemView; title: string; text: string } | null {
  if (v.status === 'WITHDRAWN' || v.status === 'COMPLETED') return null;
  const rejected = v.items.find((i) => i.state === 'REJECTED');
  if (rejected) return { item: rejected, title: `Replace your ${inSentence(rejected.label)}`, text: 'The Academic Registry could not accept the file you sent. See the reason below and upload a new one.' };
  const pending = v.items.find((i) => i.state === 'PENDING' && i.compulsory) ?? v.items.find((i) => i.state === 'PENDING');
  if (pending) {
    const title =
      pending.kind === 'ACTIVATION'
        ? 'Activate your HKUST account'
        : pending.kind === 'FORM'
          ? 'Complete the registration form'
          : `Upload your ${inSentence(pending.label)}`;
    const text = pending.compulsory
      ? `This step is compulsory. Complete it before ${fmtDateTime(pending.dueBy === 'PAYMENT' && v.deadlines.payment ? v.deadlines.payment : v.deadlines.registration)}.`
      : 'This step is recommended; you may complete it later.';
    return { item: pending, title, text };
  }
  const waiting = v.items.filter((i) => i.state === 'SUBMITTED');
  if (waiting.length) {
    const latest = waiting.map((i) => i.expectedVerificationDate).filter(Boolean).sort().pop();
    return {
      title: 'Nothing to do for now',
      text: `The Academic Registry is checking what you sent${latest ? `; expect a result by ${fmtDate(latest)}` : ''}. This page updates by itself.`,
    };
  }
  return null;
}

/** "Registration form" → "registration form", but "ID-card photo" stays as it is. */
const inSentence = (label: string) => (/^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label);

function nextStepCard(v: StatusResponse): HTMLElement | null {
  const next = nextAction(v);
  if (!next) return null;
  const go = next.item
    ? h(
        'button',
        {
          class: 'btn',
          type: 'button',
          onclick: () => {
            const card = byId(`item-${next.item!.key}`);
            card?.scrollIntoView({ behavior: 'smooth', block: 'start' });
            const opener = card?.querySelector<HTMLElement>('[data-opens]');
            if (opener && opener.getAttribute('aria-expanded') !== 'true') opener.click();
            (card?.querySelector<HTMLElement>('input, button, a') ?? card)?.focus({ preventScroll: true });
          },
        },
        'Go to this step',
      )
    : null;
  return h(
    'section',
    { class: 'card next-step', 'aria-labelledby': 'next-title', id: 'next-step' },
    h('p', { class: 'eyebrow' }, 'What to do next'),
    h('h2', { id: 'next-title' }, next.title),
    h('p', null, next.text),
    go,
  );
}

// ---------------------------------------------------------------------------
// Checklist steps
// ---------------------------------------------------------------------------

function renderSteps(v: StatusResponse): void {
  const list = byId('steps')!;
  const wanted: HTMLElement[] = [];
  const open = isOpen(v.status);
  v.items.forEach((item, index) => {
    // Everything the card shows; an unchanged signature keeps the card (and what the student typed in it).
    const sig = JSON.stringify([item, index, open, item.kind === 'ACTIVATION' ? (v.universityEmail ?? '') : item.kind === 'FORM' ? (v.form ?? null) : '', item.compulsory && deadlinePassed(v, item)]);
    const known = cards.get(item.key);
    if (known && known.sig === sig) wanted.push(known.el);
    else {
      const el = stepCard(v, item, index, open);
      cards.set(item.key, { sig, el });
      wanted.push(el);
    }
  });
  // Only touch the DOM where a card changed, so focus and scroll stay where they are.
  wanted.forEach((el, i) => {
    const current = list.children[i];
    if (current !== el) current ? list.insertBefore(el, current) : list.append(el);
  });
  while (list.children.length > wanted.length) list.lastElementChild!.remove();
}

function stepCard(v: StatusResponse, item: ItemView, index: number, open: boolean): HTMLElement {
  const state = ITEM_STATE[item.state];
  const icon = isDone(item) ? '✓' : item.state === 'REJECTED' ? '!' : String(index + 1);
  const due = item.compulsory
    ? h('span', { class: 'tag compulsory' }, item.dueBy === 'PAYMENT' ? 'Compulsory · by payment deadline' : 'Compulsory')
    : h('span', { class: 'tag' }, item.kind === 'PHOTO' ? 'Recommended' : 'May follow later');
  return h(
    'li',
    { class: 'step', id: `item-${item.key}`, 'data-state': item.state, 'data-item': item.key, tabindex: '-1' },
    h('span', { class: 'step-icon', 'aria-hidden': 'true' }, icon),
    h(
      'div',
      { class: 'step-body' },
      h('div', { class: 'step-head' }, h('h3', null, item.label), due, h('span', { class: `badge tone-${state.tone}`, 'data-testid': 'item-state' }, state.label)),
      stepMeta(item),
      stepContent(v, item, open),
    ),
  );
}

function stepMeta(item: ItemView): HTMLElement | null {
  const last = item.reviews[item.reviews.length - 1];
  switch (item.state) {
    case 'SUBMITTED':
      return h(
        'p',
        { class: 'step-meta' },
        item.submittedAt ? `Sent ${fmtDateTime(item.submittedAt)}. ` : '',
        item.expectedVerificationDate ? (item.slaBreached ? `Checking is taking longer than usual (expected by ${fmtDate(item.expectedVerificationDate)}); we are on it.` : `Expect a result by ${fmtDate(item.expectedVerificationDate)}.`) : 'The Academic Registry will check it.',
      );
    case 'VERIFIED':
      return h('p', { class: 'step-meta' }, item.kind === 'ACTIVATION' ? 'Account activated' : item.kind === 'FORM' ? 'Form received' : 'Verified by the Academic Registry', item.reviewedAt ? ` · ${fmtDateTime(item.reviewedAt)}` : item.submittedAt ? ` · ${fmtDateTime(item.submittedAt)}` : '');
    case 'WAIVED':
      return h('p', { class: 'step-meta' }, 'The Academic Registry has waived this step for you', last?.note ? `: ${last.note}` : '.');
    default:
      return null;
  }
}

function stepContent(v: StatusResponse, item: ItemView, open: boolean): Array<HTMLElement | null> {
  const parts: Array<HTMLElement | null> = [];
  if (item.state === 'REJECTED') parts.push(rejection(item));
  if (item.state === 'PENDING' || item.state === 'REJECTED') parts.push(h('p', null, ITEM_HELP[item.kind]));

  switch (item.kind) {
    case 'ACTIVATION':
      if (item.state === 'PENDING')
        parts.push(
          h(
            'p',
            { class: 'small muted' },
            'This page notices the activation by itself. Questions about activation: ',
            mail(v.contacts.activation),
          ),
        );
      else if (v.universityEmail) parts.push(h('p', { class: 'small' }, 'Your HKUST email: ', h('strong', null, v.universityEmail)));
      break;
    case 'FORM':
      if (item.state === 'PENDING' && open) parts.push(toggleSection('Fill in the registration form', () => registrationForm(v, () => refresh())));
      else if (isDone(item)) {
        if (v.form) parts.push(formSummary(v.form));
        parts.push(h('p', { class: 'small muted' }, 'The form is submitted once. To change your particulars, write to ', mail(v.contacts.registration), '.'));
      }
      break;
    default: {
      if (item.kind === 'VISA') parts.push(h('p', { class: 'small muted' }, 'Visa enquiries: ', mail(v.contacts.visa)));
      parts.push(fileList(item));
      const panel = () => uploadPanel(v, item, () => refresh());
      if (open && (item.state === 'PENDING' || item.state === 'REJECTED')) parts.push(panel());
      // After its deadline a submitted compulsory item stands as sent: what was in on time is what counts.
      else if (open && item.state === 'SUBMITTED' && !(item.compulsory && deadlinePassed(v, item))) parts.push(toggleSection('Send a corrected file', panel, 'btn-link'));
    }
  }
  return parts;
}

const deadlinePassed = (v: StatusResponse, item: ItemView) =>
  item.dueBy === 'PAYMENT' && v.deadlines.payment ? v.deadlines.paymentPassed : v.deadlines.registrationPassed;

function policyLines(p: PolicyNumbers): HTMLElement[] {
  const lines: Array<HTMLElement | null> = [
    h('p', { class: 'small muted spaced', 'data-testid': 'sla-text' }, `Documents are checked within ${workingDays(p.verificationSlaWorkingDays)} of your submission. Weekends and Hong Kong public holidays do not count.`),
    h('p', { class: 'small muted' }, `If a compulsory document is rejected, you have at least ${p.resubmissionWindowDays} day${p.resubmissionWindowDays === 1 ? '' : 's'} to upload a corrected one.`),
    p.reminderDaysBefore.length ? h('p', { class: 'small muted' }, `While something compulsory is missing, we remind you ${daysList(p.reminderDaysBefore)} before each deadline.`) : null,
  ];
  return lines.filter((x): x is HTMLElement => x !== null);
}

function rejection(item: ItemView): HTMLElement {
  const review = [...item.reviews].reverse().find((r) => r.decision === 'REJECTED');
  return h(
    'div',
    { class: 'notice tone-bad', role: 'note' },
    h(
      'div',
      null,
      h('strong', null, 'Not accepted: ', review?.reasonCode ? REJECTION_REASON[review.reasonCode] : 'see the note'),
      review?.note ? h('p', { 'data-testid': 'rejection-note' }, `“${review.note}”`) : null,
      item.resubmitBy ? h('p', null, h('strong', null, `Upload a replacement by ${fmtDateTime(item.resubmitBy)}`), ', or your registration will be withdrawn.') : null,
    ),
  );
}

function fileList(item: ItemView): HTMLElement | null {
  if (!item.submissions.length) return null;
  return h(
    'ul',
    { class: 'files', 'aria-label': `Files sent for ${item.label}` },
    [...item.submissions].reverse().map((s, i) =>
      h(
        'li',
        null,
        s.documentId ? h('a', { class: 'name', href: studentApi.documentUrl(applicationNo, s.documentId), download: s.originalName }, s.originalName) : h('span', { class: 'name' }, s.originalName),
        h('span', { class: 'muted' }, `version ${s.version} · ${fmtDateTime(s.at)}`),
        i === 0 ? null : h('span', { class: 'muted' }, '(replaced)'),
      ),
    ),
  );
}

/** A button that reveals a section built on first opening. */
function toggleSection(label: string, build: () => HTMLElement, buttonClass = 'btn'): HTMLElement {
  const region = h('div', { class: 'toggle-region', hidden: true });
  const button = h('button', { class: buttonClass, type: 'button', 'aria-expanded': 'false', 'data-opens': '' }, label);
  button.addEventListener('click', () => {
    const opening = region.hidden;
    if (opening && !region.firstChild) region.append(build());
    region.hidden = !opening;
    button.setAttribute('aria-expanded', String(opening));
    if (opening) region.querySelector<HTMLElement>('input, select, textarea')?.focus();
  });
  return h('div', null, button, region);
}

// ---------------------------------------------------------------------------
// Sidebar
// ---------------------------------------------------------------------------

function cardReadiness(v: StatusResponse): HTMLElement {
  const photo = v.items.find((i) => i.kind === 'PHOTO');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'card-title' },
    h('h2', { id: 'card-title' }, 'Your HKUST Card'),
    v.cardReady
      ? h('p', null, h('span', { class: 'badge tone-ok' }, 'Ready to issue'), ' ', 'Your documents and photo are in; the card can be prepared before you arrive.')
      : h(
          'p',
          null,
          h('span', { class: 'badge tone-neutral' }, 'Not yet'),
          ' ',
          photo && photo.state === 'PENDING' ? 'Upload your photo and documents so the card can be prepared before you arrive.' : 'The card can be issued once every document and your photo are accepted.',
        ),
  );
}

function helpCard(v: StatusResponse): HTMLElement {
  const row = (what: string, email: string) => h('li', null, h('span', { class: 'what' }, what), mail(email));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, 'Need help?'),
    h(
      'ul',
      { class: 'side-list' },
      row('Program registration', v.contacts.registration),
      row('Account activation', v.contacts.activation),
      row('Student visa', v.contacts.visa),
    ),
    ...policyLines(v.policy),
  );
}

function declineCard(): HTMLElement {
  const button = h('button', { class: 'btn btn-secondary btn-sm', type: 'button' }, 'Decline my offer…');
  button.addEventListener('click', async () => {
    const data = await dialog(
      'Decline your offer of admission?',
      [
        h('div', { class: 'notice tone-bad' }, h('div', null, h('strong', null, 'This cannot be undone online.'), h('p', null, 'Your registration will be withdrawn and your place released.'))),
        h('div', { class: 'field' }, h('label', { for: 'decline-reason' }, 'Reason ', h('span', { class: 'hint' }, 'Optional; it helps us improve.')), h('textarea', { id: 'decline-reason', name: 'reason', maxlength: 500 })),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'confirm', required: true }), 'I understand that my registration will be withdrawn.'),
      ],
      'Decline offer',
      'danger',
    );
    if (!data) return;
    await busy(button, 'Declining…', async () => {
      try {
        await studentApi.decline(applicationNo, String(data.get('reason') ?? '').trim() || undefined);
        toast('Your offer has been declined.');
        await refresh();
      } catch (e) {
        toast(e instanceof Error ? e.message : String(e), 'bad');
      }
    });
  });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'decline-title' },
    h('h2', { id: 'decline-title' }, 'Not joining HKUST?'),
    h('p', { class: 'small muted' }, 'If you have decided not to take up your offer, let us know so your place can be released.'),
    button,
  );
}

void start();
