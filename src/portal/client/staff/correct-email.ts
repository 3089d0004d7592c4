/**
 * The Correct email… dialog of the staff registration page (docs/domain.md,
 * Invitations that bounce): the new personal email, with a reason. The workflow
 * sends a fresh invitation to it; the audit trail keeps both addresses. A
 * refusal is shown in the dialog, which stays open.
 */
import { ApiError } from '../api';
import { h } from '../dom';

/** Opens the dialog; `save` sends the change (throws the API's refusal). Resolves true once saved, false when cancelled. */
export function correctEmailDialog(current: string, save: (personalEmail: string, reason: string) => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const banner = h('div', { class: 'notice tone-bad', role: 'alert', hidden: true, tabindex: '-1', 'data-testid': 'correct-email-error' });
    const submit = h('button', { type: 'submit', class: 'btn' }, 'Correct and re-invite');
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close('cancel') }, 'Cancel');
    const body = h(
      'form',
      { novalidate: true },
      h('h2', { id: 'ce-title' }, 'Correct the personal email'),
      h(
        'p',
        { class: 'muted small' },
        `Now: ${current}. A fresh invitation goes to the new address. Your name, both addresses and the reason are kept in the audit trail.`,
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'ce-email' }, 'New personal email'),
        h('input', { id: 'ce-email', name: 'personalEmail', type: 'email', maxlength: 320, autocomplete: 'off' }),
      ),
      h('div', { class: 'field' }, h('label', { for: 'ce-reason' }, 'Reason'), h('textarea', { id: 'ce-reason', name: 'reason', maxlength: 2000 })),
      banner,
      h('div', { class: 'actions' }, cancel, submit),
    );
    const dlg = h('dialog', { 'aria-labelledby': 'ce-title' }, body);
    let saved = false;
    const say = (message: string) => {
      banner.replaceChildren(h('div', null, message));
      banner.hidden = false;
      banner.focus();
    };
    body.addEventListener('submit', (e) => {
      e.preventDefault();
      banner.hidden = true;
      const data = new FormData(body);
      const email = String(data.get('personalEmail') ?? '').trim();
      const reason = String(data.get('reason') ?? '').trim();
      if (!email.includes('@')) return say('Type the new email address.');
      if (!reason) return say('Say why the address is corrected.');
      submit.disabled = true;
      save(email, reason)
        .then(() => {
          saved = true;
          dlg.close('saved');
        })
        .catch((err: unknown) => {
          const issues = err instanceof ApiError ? err.fieldIssues.map((i) => `${i.path}: ${i.message}`) : [];
          say(`Not corrected: ${issues.length ? issues.join('; ') : err instanceof Error ? err.message : String(err)}`);
        })
        .finally(() => {
          submit.disabled = false;
        });
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(saved);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}
