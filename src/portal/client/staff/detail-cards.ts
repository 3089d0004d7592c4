/**
 * The side cards of one registration that change it: the submitted form with
 * the Correct… dialog, the deadlines with Extend…, and the emails sent (a
 * refused one stands out: staff must reach the student another way).
 */
import type { RegistrationForm } from '../../../../workflows/registration/types';
import { endOfHongKongDay } from '../../../hong-kong-time';
import type { StatusResponse } from '../api';
import { busy, dialog, fmtDateTime, fmtRelative, fmtShort, h, toast, unawaited } from '../dom';
import { daysList, formSummary, workingDays } from '../facts';
import { humanize } from '../labels';
import { correctFormDialog } from './correct-form';
import { route, staff } from './session';
import { messageOf } from './widgets';

/** The submitted form, read-only; officers and admins correct it through the Correct… dialog (with a reason, audited). */
export function formCard(v: StatusResponse, open: boolean): HTMLElement {
  const card = h('section', { class: 'card', 'aria-labelledby': 'form-title', id: 'form-card' }, h('h2', { id: 'form-title' }, 'Registration form'));
  if (!v.form) {
    card.append(h('p', { class: 'muted' }, 'Not submitted yet.'));
    return card;
  }
  card.append(formSummary(v.form));
  if (open) {
    const b = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button', 'data-action': 'correct-form' }, 'Correct…');
    b.addEventListener(
      'click',
      unawaited(() => correctForm(b, v, v.form!)),
    );
    card.append(b);
  }
  return card;
}

async function correctForm(button: HTMLButtonElement, v: StatusResponse, form: RegistrationForm): Promise<void> {
  button.disabled = true;
  try {
    const saved = await correctFormDialog(v.student.name, form, async (changes, reason) => {
      await staff.api.correctForm(v.applicationNo, changes as Partial<RegistrationForm>, reason);
    });
    if (!saved) return;
    toast('Form corrected.');
    await route();
  } finally {
    button.disabled = false;
  }
}

export function deadlinesCard(v: StatusResponse, open: boolean): HTMLElement {
  const line = (label: string, iso: string, passed: boolean) =>
    h('li', null, h('span', { class: 'what' }, label), fmtDateTime(iso), h('div', { class: 'small muted' }, passed ? 'Passed' : fmtRelative(iso)));
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'dl-title' },
    h('h2', { id: 'dl-title' }, 'Deadlines'),
    h(
      'ul',
      { class: 'side-list' },
      line('Registration', v.deadlines.registration, v.deadlines.registrationPassed),
      v.deadlines.payment ? line('Tuition payment', v.deadlines.payment, v.deadlines.paymentPassed) : null,
    ),
    ...v.deadlineChanges.map((c) =>
      h('p', { class: 'small muted' }, `${humanize(c.deadline)} extended on ${fmtShort(c.at)}: ${fmtDateTime(c.from)} → ${fmtDateTime(c.until)}`),
    ),
    h(
      'p',
      { class: 'small muted', 'data-testid': 'policy-numbers' },
      `Verification within ${workingDays(v.policy.verificationSlaWorkingDays)} · resubmission window ${v.policy.resubmissionWindowDays} days`,
      v.policy.reminderDaysBefore.length ? ` · reminders ${daysList(v.policy.reminderDaysBefore)} before each deadline` : '',
    ),
  );
  if (open && staff.me.role === 'admin') {
    const b = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button' }, 'Extend a deadline…');
    b.addEventListener(
      'click',
      unawaited(() => extendDeadline(b, v)),
    );
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
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'ext-which' }, 'Deadline'),
        h(
          'select',
          { id: 'ext-which', name: 'deadline' },
          options.map(([value, text]) => h('option', { value }, text)),
        ),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'ext-until' }, 'New date', h('span', { class: 'hint' }, 'The end of this day, Hong Kong time')),
        h('input', { type: 'date', id: 'ext-until', name: 'until', required: true, min: new Date().toISOString().slice(0, 10) }),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'ext-reason' }, 'Reason'),
        h('textarea', { id: 'ext-reason', name: 'reason', required: true, maxlength: 1000 }),
      ),
    ],
    'Extend',
  );
  if (!data) return;
  const until = new Date(endOfHongKongDay(String(data.get('until')))).toISOString();
  await busy(button, 'Saving…', async () => {
    try {
      await staff.api.extendDeadline(v.applicationNo, String(data.get('deadline')) as 'REGISTRATION' | 'PAYMENT', until, String(data.get('reason')).trim());
      toast('Deadline extended.');
      await route();
    } catch (e) {
      toast(messageOf(e), 'bad');
    }
  });
}

export function emailsCard(v: StatusResponse): HTMLElement {
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
