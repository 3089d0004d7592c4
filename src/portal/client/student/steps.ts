/**
 * The checklist steps. Cards are keyed by item and only rebuilt when their
 * item changed, so a half-filled form or a chosen file survives every refresh.
 */
import type { ItemView } from '../../../../workflows/registration/types';
import { pageLimit } from '../../../../workflows/registration/policy';
import { isOpen, isSettled } from '../../../../workflows/registration/vocabulary';
import { studentApi, type StatusResponse } from '../api';
import { byId, fmtDate, fmtDateTime, fmtMoney, h, unawaited } from '../dom';
import { ITEM_HELP, itemStateFor, REJECTION_REASON } from '../labels';
import { formSummary } from '../facts';
import { registrationForm } from './form';
import { uploadPanel } from './upload';
import { pagesPanel } from './pages';
import { mail, refresh, student } from './session';

const cards = new Map<string, { sig: string; el: HTMLElement }>();

export function renderSteps(v: StatusResponse): void {
  const list = byId('steps')!;
  const wanted: HTMLElement[] = [];
  const redrawn = new Map<string, HTMLElement>();
  let focusWasIn: string | undefined;
  const open = isOpen(v.status);
  v.items.forEach((item, index) => {
    // Everything the card shows; an unchanged signature keeps the card (and what the student typed in it).
    const sig = JSON.stringify([
      item,
      index,
      open,
      item.kind === 'ACTIVATION' ? (v.universityEmail ?? '') : item.kind === 'FORM' ? (v.form ?? null) : '',
      item.compulsory && deadlinePassed(v, item),
    ]);
    const known = cards.get(item.key);
    if (known && known.sig === sig) wanted.push(known.el);
    else {
      const el = stepCard(v, item, index, open);
      keepUploadInUse(known?.el, el);
      if (known?.el.contains(document.activeElement)) focusWasIn = item.key;
      // A changed card takes its old card's place, so the cards around it never move.
      if (known?.el.parentNode === list) known.el.replaceWith(el);
      cards.set(item.key, { sig, el });
      redrawn.set(item.key, el);
      wanted.push(el);
    }
  });
  // Moving a node blurs whatever is focused inside it, so unchanged cards stay put: gone cards leave first, then
  // only a card that is new (or out of order) is inserted.
  const keep = new Set(wanted);
  for (const child of Array.from(list.children)) if (!keep.has(child as HTMLElement)) child.remove();
  wanted.forEach((el, i) => {
    const current = list.children[i];
    if (current !== el) list.insertBefore(el, current ?? null);
  });
  // After the student's own action the focus goes to what it changed; so it does when a change from elsewhere (a
  // decision) redrew the card the focus was in. Never to <body> with the card it was in; never away from another card.
  const acted = student.focusCard ? redrawn.get(student.focusCard) : undefined;
  if (acted) student.focusCard = undefined;
  const target = acted ?? (focusWasIn ? cards.get(focusWasIn)?.el : undefined);
  const focus = target?.querySelector<HTMLElement>('[data-confirmation], [data-pages]') ?? target;
  if (focus && !focus.hasAttribute('tabindex')) focus.setAttribute('tabindex', '-1');
  focus?.focus();
}

/**
 * A redrawn card keeps its old upload form while the student has a file chosen there or is sending one
 * (upload.ts), in place of the empty one it was drawn with; a card drawn without a form (the item sent for
 * review from another tab, or closed) drops it, since that file could no longer be taken.
 */
function keepUploadInUse(old: HTMLElement | undefined, redrawn: HTMLElement): void {
  const inUse = old?.querySelector<HTMLFormElement>('form[data-upload][data-in-use]');
  const fresh = inUse && redrawn.querySelector<HTMLFormElement>(`form[data-upload="${inUse.dataset.upload}"]`);
  if (inUse && fresh) fresh.replaceWith(inUse);
}

function stepCard(v: StatusResponse, item: ItemView, index: number, open: boolean): HTMLElement {
  const state = itemStateFor(item);
  const icon = isSettled(item.state) ? '✓' : item.state === 'REJECTED' ? '!' : String(index + 1);
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
      h(
        'div',
        { class: 'step-head' },
        h('h3', null, item.label),
        due,
        h('span', { class: `badge tone-${state.tone}`, 'data-testid': 'item-state' }, state.label),
      ),
      stepMeta(item),
      stepContent(v, item, open),
    ),
  );
}

function stepMeta(item: ItemView): HTMLElement | null {
  const last = item.reviews[item.reviews.length - 1];
  if (item.partPaid) return partPaidMeta(item.partPaid);
  switch (item.state) {
    case 'SUBMITTED':
      return h(
        'p',
        { class: 'step-meta' },
        item.submittedAt ? `Sent ${fmtDateTime(item.submittedAt)}. ` : '',
        item.expectedVerificationDate
          ? item.slaBreached
            ? `Checking is taking longer than usual (expected by ${fmtDate(item.expectedVerificationDate)}); we are on it.`
            : `Expect a result by ${fmtDate(item.expectedVerificationDate)}.`
          : 'The Academic Registry will check it.',
      );
    case 'VERIFIED':
      return h(
        'p',
        { class: 'step-meta' },
        item.kind === 'ACTIVATION' ? 'Account activated' : item.kind === 'FORM' ? 'Form received' : 'Verified by the Academic Registry',
        item.reviewedAt ? ` · ${fmtDateTime(item.reviewedAt)}` : item.submittedAt ? ` · ${fmtDateTime(item.submittedAt)}` : '',
      );
    case 'WAIVED':
      return h('p', { class: 'step-meta' }, 'The Academic Registry has waived this step for you', last?.note ? `: ${last.note}` : '.');
    case 'NOT_REQUIRED':
      return h('p', { class: 'step-meta' }, 'The Academic Registry has updated your details: you no longer need to do this.');
    default:
      return null;
  }
}

/** A fee paid short: what arrived, of what, and what is still to pay, in plain words. */
function partPaidMeta(p: NonNullable<ItemView['partPaid']>): HTMLElement {
  return h(
    'p',
    { class: 'step-meta', 'data-testid': 'part-paid' },
    `Part paid: ${fmtMoney(p.received, p.currency)} of ${fmtMoney(p.fee, p.currency)} received; ${fmtMoney(p.outstanding, p.currency)} still to pay.`,
  );
}

function stepContent(v: StatusResponse, item: ItemView, open: boolean): Array<HTMLElement | null> {
  const parts: Array<HTMLElement | null> = [];
  if (item.state === 'REJECTED') parts.push(rejection(item));
  if (item.state === 'PENDING' || item.state === 'REJECTED' || item.partPaid) parts.push(h('p', null, ITEM_HELP[item.kind]));

  switch (item.kind) {
    case 'ACTIVATION':
      if (item.state === 'PENDING')
        parts.push(h('p', { class: 'small muted' }, 'This page notices the activation by itself. Questions about activation: ', mail(v.contacts.activation)));
      else if (v.universityEmail) parts.push(h('p', { class: 'small' }, 'Your HKUST email: ', h('strong', null, v.universityEmail)));
      break;
    case 'FORM':
      if (item.state === 'PENDING' && open) parts.push(toggleSection('Fill in the registration form', () => registrationForm(v, refresh)));
      else if (isSettled(item.state)) {
        if (student.sentHere.has(item.key)) parts.push(formSent(v));
        if (v.form) parts.push(formSummary(v.form));
        parts.push(h('p', { class: 'small muted' }, 'The form is submitted once. To change your particulars, write to ', mail(v.contacts.registration), '.'));
      }
      break;
    default: {
      if (item.kind === 'VISA') parts.push(h('p', { class: 'small muted' }, 'Visa enquiries: ', mail(v.contacts.visa)));
      parts.push(fileList(item));
      const panel = () =>
        uploadPanel(
          v,
          item,
          unawaited(() => refresh()),
        );
      // Pages are added, and removed, until they are sent for review; then they stand until the registry decides.
      if (open && (item.state === 'PENDING' || item.state === 'REJECTED')) {
        parts.push(
          pagesPanel(
            v.applicationNo,
            item,
            unawaited(() => refresh()),
          ),
        );
        if (item.draft.length < pageLimit(item.kind)) parts.push(panel());
      }
    }
  }
  return parts;
}

/** The confirmation after the student sent the form from this page: what happens next. */
function formSent(v: StatusResponse): HTMLElement {
  const left = v.items.filter((i) => i.state === 'PENDING' || i.state === 'REJECTED');
  const labels = left.map((i) => i.label);
  const list = labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}` : labels[0];
  return h(
    'div',
    { class: 'confirmation', tabindex: '-1', 'data-confirmation': '', 'aria-labelledby': 'form-sent-title', role: 'region' },
    h('h4', { id: 'form-sent-title' }, 'Registration form sent'),
    h('p', null, 'Your particulars are now part of your registration, and this step is done.'),
    h('h5', null, 'What happens next'),
    h(
      'ul',
      null,
      h(
        'li',
        null,
        left.length
          ? `Carry on with ${left.length === 1 ? 'the step' : `the ${left.length} steps`} still to do below: ${list}.`
          : 'Nothing else is needed from you for now: the Academic Registry checks what you sent, and this page shows the result.',
      ),
      h(
        'li',
        null,
        'The form cannot be changed here. To correct something, write to ',
        mail(v.contacts.registration),
        '; the Academic Registry makes the change and this page shows it.',
      ),
    ),
  );
}

const deadlinePassed = (v: StatusResponse, item: ItemView) =>
  item.dueBy === 'PAYMENT' && v.deadlines.payment ? v.deadlines.paymentPassed : v.deadlines.registrationPassed;

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
      item.resubmitBy
        ? h('p', null, h('strong', null, `Upload a replacement by ${fmtDateTime(item.resubmitBy)}`), ', or your registration will be withdrawn.')
        : null,
    ),
  );
}

function fileList(item: ItemView): HTMLElement | null {
  if (!item.submissions.length) return null;
  const latest = item.submissions[item.submissions.length - 1]!.version;
  return h(
    'ul',
    { class: 'files', 'aria-label': `Files sent for ${item.label}` },
    [...item.submissions].reverse().map((s) => {
      const pages = item.submissions.filter((o) => o.version === s.version);
      const page = pages.length > 1 ? ` · page ${pages.indexOf(s) + 1} of ${pages.length}` : '';
      return h(
        'li',
        null,
        s.documentId
          ? h('a', { class: 'name', href: studentApi.documentUrl(student.applicationNo, s.documentId), download: s.originalName }, s.originalName)
          : h('span', { class: 'name' }, s.originalName),
        h('span', { class: 'muted' }, `version ${s.version}${page} · ${fmtDateTime(s.sentAt ?? s.at)}`),
        s.version === latest ? null : h('span', { class: 'muted' }, '(replaced)'),
      );
    }),
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
