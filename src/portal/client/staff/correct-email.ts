/**
 * The Correct email… dialog of the staff registration page (docs/domain.md,
 * Invitations that bounce): the new personal email, with a reason. The workflow
 * sends a fresh invitation to it; the audit trail keeps both addresses. A
 * refusal is shown in the dialog, which stays open.
 */
import { h } from '../dom';
import { refusalText, staffDialog } from './widgets';

/** Opens the dialog; `save` sends the change (throws the API's refusal). Resolves true once saved, false when cancelled. */
export function correctEmailDialog(current: string, save: (personalEmail: string, reason: string) => Promise<void>): Promise<boolean> {
  return staffDialog({
    idPrefix: 'ce',
    title: 'Correct the personal email',
    intro: `Now: ${current}. A fresh invitation goes to the new address. Your name, both addresses and the reason are kept in the audit trail.`,
    fields: [
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'ce-email' }, 'New personal email'),
        h('input', { id: 'ce-email', name: 'personalEmail', type: 'email', maxlength: 320, autocomplete: 'off' }),
      ),
      h('div', { class: 'field' }, h('label', { for: 'ce-reason' }, 'Reason'), h('textarea', { id: 'ce-reason', name: 'reason', maxlength: 2000 })),
    ],
    submitLabel: 'Correct and re-invite',
    errorTestId: 'correct-email-error',
    check: (data, { say }) => {
      const email = String(data.get('personalEmail') ?? '').trim();
      const reason = String(data.get('reason') ?? '').trim();
      if (!email.includes('@')) return say('Type the new email address.');
      if (!reason) return say('Say why the address is corrected.');
      return () => save(email, reason);
    },
    refused: (err, { say }) => say(`Not corrected: ${refusalText(err)}`),
  });
}
