/** The side of the student's page: the HKUST Card, whom to ask, the cohort's policy numbers, and declining the offer. */
import type { PolicyNumbers } from '../../../../workflows/registration/types';
import { studentApi, type StatusResponse } from '../api';
import { busy, dialog, h, toast, unawaited } from '../dom';
import { daysList, workingDays } from '../facts';
import { mail, refresh, student } from './session';

function policyLines(p: PolicyNumbers): HTMLElement[] {
  const lines: Array<HTMLElement | null> = [
    h(
      'p',
      { class: 'small muted spaced', 'data-testid': 'sla-text' },
      `Documents are checked within ${workingDays(p.verificationSlaWorkingDays)} of your submission. Weekends and Hong Kong public holidays do not count.`,
    ),
    h(
      'p',
      { class: 'small muted' },
      `If a compulsory document is rejected, you have at least ${p.resubmissionWindowDays} day${p.resubmissionWindowDays === 1 ? '' : 's'} to upload a corrected one.`,
    ),
    p.reminderDaysBefore.length
      ? h('p', { class: 'small muted' }, `While something compulsory is missing, we remind you ${daysList(p.reminderDaysBefore)} before each deadline.`)
      : null,
  ];
  return lines.filter((x): x is HTMLElement => x !== null);
}

export function cardReadiness(v: StatusResponse): HTMLElement {
  const photo = v.items.find((i) => i.kind === 'PHOTO');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'card-title' },
    h('h2', { id: 'card-title' }, 'Your HKUST Card'),
    v.cardReady
      ? h(
          'p',
          null,
          h('span', { class: 'badge tone-ok' }, 'Ready to issue'),
          ' ',
          'Your documents and photo are in; the card can be prepared before you arrive.',
        )
      : h(
          'p',
          null,
          h('span', { class: 'badge tone-neutral' }, 'Not yet'),
          ' ',
          photo && photo.state === 'PENDING'
            ? 'Upload your photo and documents so the card can be prepared before you arrive.'
            : 'The card can be issued once every document and your photo are accepted.',
        ),
  );
}

export function helpCard(v: StatusResponse): HTMLElement {
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

export function declineCard(): HTMLElement {
  const button = h('button', { class: 'btn btn-secondary btn-sm', type: 'button' }, 'Decline my offer…');
  button.addEventListener(
    'click',
    unawaited(async () => {
      const data = await dialog(
        'Decline your offer of admission?',
        [
          h(
            'div',
            { class: 'notice tone-bad' },
            h('div', null, h('strong', null, 'This cannot be undone online.'), h('p', null, 'Your registration will be withdrawn and your place released.')),
          ),
          h(
            'div',
            { class: 'field' },
            h('label', { for: 'decline-reason' }, 'Reason ', h('span', { class: 'hint' }, 'Optional; it helps us improve.')),
            h('textarea', { id: 'decline-reason', name: 'reason', maxlength: 500 }),
          ),
          h(
            'label',
            { class: 'check' },
            h('input', { type: 'checkbox', name: 'confirm', required: true }),
            'I understand that my registration will be withdrawn.',
          ),
        ],
        'Decline offer',
        'danger',
      );
      if (!data) return;
      await busy(button, 'Declining…', async () => {
        try {
          await studentApi.decline(student.applicationNo, String(data.get('reason') ?? '').trim() || undefined);
          toast('Your offer has been declined.');
          await refresh();
        } catch (e) {
          toast(e instanceof Error ? e.message : String(e), 'bad');
        }
      });
    }),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'decline-title' },
    h('h2', { id: 'decline-title' }, 'Not joining HKUST?'),
    h('p', { class: 'small muted' }, 'If you have decided not to take up your offer, let us know so your place can be released.'),
    button,
  );
}
