/**
 * The staff sign-in page: single sign-on through the university's identity
 * provider (the gateway's HttpOnly session cookie; the page never sees a
 * token), or an API key (kept in sessionStorage, so it leaves with the tab;
 * for testing and where single sign-on is not set up).
 */
import { ApiError, staffApi } from '../api';
import { busy, byId, h, mount, unawaited } from '../dom';
import { KEY_STORAGE, boot, staff } from './session';
import { messageOf } from './widgets';

/** What the pages say for the codes the single sign-on callback sends (src/gateway/routes/sso.ts). */
export const SSO_MESSAGES: Record<string, string> = {
  SSO_NO_ROLE:
    "You are signed in at the university, but your account has no Academic Registry role (officer or admin). Ask the registry's administrator to add you to the registry group.",
  SSO_NOT_ACTIVATED: 'No registration belongs to this university account. Students: open the link in your invitation email.',
  SSO_FAILED: 'The sign-in could not be completed: it took too long, or its answer was not the one this browser asked for. Please sign in again.',
};

export function signInPage(message: string | undefined, onSignedIn: () => Promise<void>): void {
  byId('staff-nav')!.hidden = true;
  byId('masthead-user')!.replaceChildren();
  const input = h('input', {
    type: 'password',
    id: 'api-key',
    name: 'key',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'pgk_…',
    'aria-describedby': 'key-hint',
  });
  const error = h('div', { class: 'notice tone-bad', role: 'alert', hidden: !message }, h('div', null, message ?? ''));
  const button = h('button', { class: boot.sso ? 'btn btn-ghost' : 'btn', type: 'submit' }, 'Sign in with the key');
  const sso = boot.sso
    ? h('div', { class: 'actions' }, h('a', { class: 'btn', id: 'sso-sign-in', href: '/auth/staff/sign-in' }, 'Sign in with your HKUST account'))
    : null;
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': boot.sso ? 'key-title' : 'signin-title' },
    boot.sso ? h('h2', { id: 'key-title' }, 'Or use an API key') : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      input,
      h(
        'span',
        { class: 'hint', id: 'key-hint' },
        'For scripts and testing: a personal key starts with ',
        h('code', null, 'pgk_'),
        '. An administrator creates keys with ',
        h('code', null, 'npm run staff-key'),
        '. It is kept only in this browser tab.',
      ),
    ),
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
  form.addEventListener(
    'submit',
    unawaited(async (e: Event) => {
      e.preventDefault();
      const key = input.value.trim();
      await busy(button, 'Signing in…', async () => {
        try {
          staff.me = await staffApi(key).whoami();
        } catch (err) {
          error.replaceChildren(h('div', null, err instanceof ApiError && err.status === 401 ? 'This key is not valid, or has been revoked.' : messageOf(err)));
          error.hidden = false;
          input.focus();
          return;
        }
        sessionStorage.setItem(KEY_STORAGE, key);
        await onSignedIn();
      });
    }),
  );
  mount(byId('app')!, card);
  (byId('sso-sign-in') ?? input).focus();
}
