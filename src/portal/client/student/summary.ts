/**
 * The top of the student's page: the welcome with progress and deadlines, the
 * outcome once there is one, and the one thing to do next.
 */
import type { ItemView } from '../../../../workflows/registration/types';
import type { StatusResponse } from '../api';
import { byId, fmtDate, fmtDateTime, fmtMoney, fmtRelative, h } from '../dom';
import { OUTCOME_REASON, STATUS, STUDY_LEVEL } from '../labels';
import { isSettled } from '../../../../workflows/registration/vocabulary';

export function summaryCard(v: StatusResponse): HTMLElement {
  const total = v.items.length;
  const done = v.items.filter((i) => isSettled(i.state)).length;
  const review = v.items.filter((i) => i.state === 'SUBMITTED' && !i.partPaid).length;
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
        h(
          'div',
          { class: 'progress-label' },
          h('span', null, 'Status'),
          h('span', { class: `badge badge-lg tone-${status.tone}`, id: 'status' }, status.label),
        ),
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
    h(
      'div',
      { class: 'deadlines' },
      deadline('Registration deadline', v.deadlines.registration, v.deadlines.registrationPassed),
      v.deadlines.payment ? deadline('Tuition payment deadline', v.deadlines.payment, v.deadlines.paymentPassed) : null,
    ),
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

export function outcomeCard(v: StatusResponse): HTMLElement | null {
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
    h(
      'div',
      null,
      h('h2', null, content.title),
      h('p', null, content.text),
      v.outcome ? h('p', { class: 'small muted' }, `Since ${fmtDateTime(v.outcome.at)}`) : null,
    ),
  );
}

/** The one thing to do now, from the items: put right a rejection, then compulsory steps, then optional ones. */
function nextAction(v: StatusResponse): { item?: ItemView; title: string; text: string } | null {
  if (v.status === 'WITHDRAWN' || v.status === 'COMPLETED') return null;
  // Pages added and not sent count for nothing (docs/domain.md, "Files and pages"): sending them comes first.
  const unsent = v.items.find((i) => i.draft.length);
  if (unsent)
    return {
      item: unsent,
      title: `Send your ${inSentence(unsent.label)} for review`,
      text: `You added ${unsent.draft.length === 1 ? '1 page' : `${unsent.draft.length} pages`} and have not sent ${unsent.draft.length === 1 ? 'it' : 'them'} yet. Add any missing page, then send: until then the Academic Registry has nothing to check.`,
    };
  const rejected = v.items.find((i) => i.state === 'REJECTED');
  if (rejected)
    return {
      item: rejected,
      title: `Replace your ${inSentence(rejected.label)}`,
      text: 'The Academic Registry could not accept the file you sent. See the reason below and upload a new one.',
    };
  const short = v.items.find((i) => i.partPaid);
  if (short?.partPaid) {
    const p = short.partPaid;
    const byPayment = short.dueBy === 'PAYMENT' && v.deadlines.payment;
    // Only a deadline still ahead is named: a payment made after it would not count.
    const passed = byPayment ? v.deadlines.paymentPassed : v.deadlines.registrationPassed;
    const by = passed ? '' : `, by ${fmtDateTime(byPayment ? v.deadlines.payment : v.deadlines.registration)}`;
    return {
      item: short,
      title: 'Pay the rest of the tuition fee',
      text: `${fmtMoney(p.received, p.currency)} of ${fmtMoney(p.fee, p.currency)} received; ${fmtMoney(p.outstanding, p.currency)} still to pay. The fee is settled only when all of it is paid${by}.`,
    };
  }
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
  const waiting = v.items.filter((i) => i.state === 'SUBMITTED' && !i.partPaid);
  if (waiting.length) {
    const latest = waiting
      .map((i) => i.expectedVerificationDate)
      .filter(Boolean)
      .sort()
      .pop();
    return {
      title: 'Nothing to do for now',
      text: `The Academic Registry is checking what you sent${latest ? `; expect a result by ${fmtDate(latest)}` : ''}. This page updates by itself.`,
    };
  }
  return null;
}

/** "Registration form" → "registration form", but "ID-card photo" stays as it is. */
const inSentence = (label: string) => (/^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label);

export function nextStepCard(v: StatusResponse): HTMLElement | null {
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
            // The step's first field (not the button that opened it, where the next Enter would close it again).
            const first = card?.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), select, textarea');
            (first ?? card)?.focus({ preventScroll: true });
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
