/**
 * The student's pages without a session: a link that did not work (expired,
 * rate-limited, mangled), the signed-out page with single sign-on, "email me a
 * new link", a session that another tab moved to another registration, and a
 * registration that could not be loaded.
 */
import { ApiError, studentApi } from '../api';
import { busy, byId, h, mount } from '../dom';
import { boot, mail, student } from './session';

const app = () => byId('app')!;

export function showLinkProblem(code: string): void {
  if (code === 'SSO_NOT_ACTIVATED')
    return showSignedOut(
      false,
      'No registration belongs to the university account you signed in with. If you have not activated your HKUST account yet, open your invitation link instead.',
    );
  if (code === 'SSO_FAILED')
    return showSignedOut(false, 'The sign-in with your HKUST account could not be completed (it took too long, or was interrupted). Please try again.');
  const expired = code === 'TOKEN_EXPIRED';
  const limited = code === 'RATE_LIMITED';
  mount(
    app(),
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
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'nl-app' }, 'Application number'),
      h('input', { id: 'nl-app', name: 'applicationNo', required: true, autocomplete: 'off', maxlength: 40 }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'nl-email' }, 'Personal email (the one you applied with)'),
      h('input', { id: 'nl-email', name: 'personalEmail', type: 'email', required: true, autocomplete: 'email', maxlength: 320 }),
    ),
    submit,
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    void busy(submit, 'Sending…', async () => {
      // Emptied first: the answer is the same every time, and a second request must visibly get one too.
      result.textContent = '';
      try {
        const answer = await studentApi.requestLink(String(data.get('applicationNo') ?? '').trim(), String(data.get('personalEmail') ?? '').trim());
        result.textContent = answer.message;
      } catch (err) {
        result.textContent =
          err instanceof ApiError && err.code === 'VALIDATION_FAILED'
            ? 'Please check the application number and the email address.'
            : err instanceof Error
              ? err.message
              : String(err);
      }
    });
  });
  return form;
}

/** Activated students can sign in with their university account instead of the link (single sign-on). */
const universitySignIn = () =>
  boot.sso
    ? h(
        'div',
        { class: 'actions' },
        h('a', { class: 'btn', id: 'sso-sign-in', href: '/auth/student/sign-in' }, 'Sign in with your HKUST account'),
        h('span', { class: 'hint' }, 'Once you have activated your HKUST account.'),
      )
    : null;

export function showSignedOut(expired: boolean, problem?: string): void {
  student.live?.close();
  student.live = undefined;
  byId('masthead-user')?.replaceChildren();
  mount(
    app(),
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

/**
 * The browser's one session cookie now opens another registration (its link was opened and
 * confirmed in another tab): this page's registration is no longer reachable from here.
 */
export function showOtherSession(current: string): void {
  student.live?.close();
  student.live = undefined;
  byId('masthead-user')?.replaceChildren();
  mount(
    app(),
    h(
      'section',
      { class: 'card center-page', 'aria-labelledby': 'other-title' },
      h('h1', { id: 'other-title' }, 'Signed in for another application'),
      h(
        'p',
        null,
        `This browser is now signed in for application ${current} (in another tab or window), so the registration this page showed is no longer open here. ` +
          'To return to it, open its invitation link again.',
      ),
      h('div', { class: 'actions' }, h('a', { class: 'btn', href: '/portal/' }, `Show application ${current}`)),
    ),
  );
}

export function showFailure(e: unknown): void {
  mount(
    app(),
    h(
      'section',
      { class: 'card center-page', role: 'alert' },
      h('h1', null, 'We could not load your registration'),
      h('p', null, e instanceof Error ? e.message : String(e)),
      h('button', { class: 'btn', type: 'button', onclick: () => location.reload() }, 'Try again'),
    ),
  );
}
