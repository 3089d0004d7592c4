/**
 * The registration form: personal particulars, contact and emergency contact,
 * and consent to the Personal Information Collection Statement. Sent once, so
 * it goes in three steps, as the GOV.UK Design System's forms do:
 *
 *   1. the questions, checked by this page in words written for each field
 *      (form-checks.ts) with an error summary at the top (../error-summary.ts);
 *   2. "Check your answers": every answer with a Change link back to its field;
 *   3. the send; the confirmation that says what happens next is drawn by the
 *      checklist once the form's step is done (steps.ts).
 *
 * The workflow has the last word: its refusals land in the error summary and
 * next to the fields they name, like the page's own.
 */
import type { RegistrationForm } from '../../../../workflows/registration/types';
import { FORM_FIELD_RULES, type FormFieldName } from '../../../../workflows/registration/vocabulary';
import { ApiError, studentApi, type StatusResponse } from '../api';
import { busy, fmtCalendarDate, h, todayInHongKong, unawaited } from '../dom';
import { errorSummary, type FieldError } from '../error-summary';
import { CONSENT_MISSING, FIELD_WORDS, readDateOfBirth, serverFieldMessage, textFieldProblem, type DatePart } from './form-checks';
import { student } from './session';

/** A text field; its label is FIELD_WORDS's, the words its error messages use. */
interface FieldSpec {
  name: FormFieldName;
  hint?: string;
  type?: 'text' | 'tel' | 'textarea';
  autocomplete?: string;
  value?: string;
  wide?: boolean;
}

const fieldId = (name: string) => `f-${name.replace('.', '-')}`;
const DOB_ID = fieldId('dateOfBirth');
const dobBoxId = (part: DatePart) => `${DOB_ID}-${part}`;
/** The text fields in the order the form asks them (the error summary lists them in this order). */
const TEXT_FIELDS = Object.keys(FORM_FIELD_RULES) as FormFieldName[];

/** A text field of the form. No `required` or `pattern` attribute: this page checks and says what is wrong itself. */
function field(spec: FieldSpec): HTMLElement {
  const id = fieldId(spec.name);
  const rule = FORM_FIELD_RULES[spec.name];
  const attrs = {
    id,
    name: spec.name,
    autocomplete: spec.autocomplete,
    maxlength: rule.maxLength,
    'aria-describedby': `${spec.hint ? `${id}-hint ` : ''}${id}-error`,
  };
  const control =
    spec.type === 'textarea' ? h('textarea', { ...attrs, rows: 3 }, spec.value ?? '') : h('input', { ...attrs, type: spec.type ?? 'text', value: spec.value });
  return h(
    'div',
    { class: `field ${spec.wide ? 'span-2' : ''}` },
    h(
      'label',
      { for: id },
      FIELD_WORDS[spec.name].inGroup ?? FIELD_WORDS[spec.name].label,
      rule.required ? null : h('span', { class: 'optional' }, ' (optional)'),
    ),
    spec.hint ? h('span', { class: 'hint', id: `${id}-hint` }, spec.hint) : null,
    h('span', { class: 'error-text', id: `${id}-error`, hidden: true }),
    control,
  );
}

/** Day, month and year boxes (the GOV.UK date input): no date picker whose order depends on the browser's language. */
function dateOfBirthField(): HTMLElement {
  const box = (part: DatePart, label: string, autocomplete: string, width: string) =>
    h(
      'div',
      { class: 'date-input-item' },
      h('label', { for: dobBoxId(part) }, label),
      h('input', {
        type: 'text',
        id: dobBoxId(part),
        name: `dateOfBirth-${part}`,
        class: `date-input-box ${width}`,
        inputmode: part === 'month' ? 'text' : 'numeric',
        autocomplete,
        maxlength: part === 'month' ? 9 : part === 'year' ? 4 : 2,
        spellcheck: 'false',
      }),
    );
  return h(
    'div',
    { class: 'field span-2' },
    h(
      'fieldset',
      { class: 'date-input', role: 'group', 'aria-describedby': `${DOB_ID}-hint ${DOB_ID}-error` },
      h('legend', null, FIELD_WORDS.dateOfBirth.label),
      h('span', { class: 'hint', id: `${DOB_ID}-hint` }, 'For example, 27 3 2007'),
      h('span', { class: 'error-text', id: `${DOB_ID}-error`, hidden: true }),
      h(
        'div',
        { class: 'date-input-boxes' },
        box('day', 'Day', 'bday-day', 'w2'),
        box('month', 'Month', 'bday-month', 'w3'),
        box('year', 'Year', 'bday-year', 'w4'),
      ),
    ),
  );
}

export function registrationForm(v: StatusResponse, done: () => Promise<void>): HTMLElement {
  const summary = errorSummary('form-errors');
  const form = h(
    'form',
    { class: 'registration-form', novalidate: true, 'aria-labelledby': 'form-title' },
    summary.el,
    h('h3', { id: 'form-title', class: 'visually-hidden' }, 'Registration form'),
    h('p', { class: 'small muted' }, 'All fields are required unless marked optional. Please write your names exactly as in your identification document.'),
    h(
      'fieldset',
      null,
      h('legend', null, 'Personal particulars'),
      h(
        'div',
        { class: 'grid-2' },
        field({
          name: 'legalName',
          hint: 'As in your passport or identity card',
          autocomplete: 'name',
          value: v.student.name,
          wide: true,
        }),
        field({ name: 'preferredName', autocomplete: 'nickname' }),
        field({ name: 'chineseName' }),
        dateOfBirthField(),
        field({ name: 'nationality', autocomplete: 'country-name' }),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Contact'),
      h(
        'div',
        { class: 'grid-2' },
        field({ name: 'phone', hint: 'With country code, like +852 9123 4567', type: 'tel', autocomplete: 'tel' }),
        h('div', { class: 'field' }, h('span', { class: 'label' }, 'Personal email'), h('p', { class: 'small' }, v.student.personalEmail)),
        field({ name: 'correspondenceAddress', type: 'textarea', autocomplete: 'street-address', wide: true }),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Emergency contact'),
      h(
        'div',
        { class: 'grid-2' },
        field({ name: 'emergencyContact.name' }),
        field({ name: 'emergencyContact.relationship', hint: 'Like Parent or Spouse' }),
        field({ name: 'emergencyContact.phone', hint: 'With country code, like +852 9123 4567', type: 'tel' }),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Personal Information Collection Statement'),
      h(
        'div',
        { class: 'statement', tabindex: '0', role: 'region', 'aria-label': 'Personal Information Collection Statement' },
        h(
          'p',
          null,
          'The personal data you provide in this form are collected by the Hong Kong University of Science and Technology for the purposes of your registration and studies: academic administration, student services, the issue of your student card, communication with you, and statistics and research in a form that does not identify you.',
        ),
        h(
          'p',
          null,
          'The data may be disclosed to University offices and to government bodies where required by law. Giving the data marked required is compulsory; without it your registration cannot be processed.',
        ),
        h('p', null, `You may ask to see and correct your personal data under the Personal Data (Privacy) Ordinance by writing to ${v.contacts.registration}.`),
      ),
      h(
        'div',
        { class: 'field' },
        h('span', { class: 'error-text', id: 'f-picsConsent-error', hidden: true }),
        h(
          'label',
          { class: 'check', for: 'f-picsConsent' },
          h('input', { type: 'checkbox', id: 'f-picsConsent', name: 'picsConsent', 'aria-describedby': 'f-picsConsent-error' }),
          'I have read the Personal Information Collection Statement and consent to the use of my personal data as described.',
        ),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'submit' }, 'Continue')),
  );
  const check = h('section', { class: 'check-answers', hidden: true, 'aria-labelledby': 'check-title' });
  const flow = h('div', { class: 'form-flow' }, form, check);

  // A field's message goes as soon as the student changes the field (the summary stays until the next Continue).
  const onEdit = (e: Event) => clearFieldError(form, e.target as HTMLElement);
  form.addEventListener('input', onEdit);
  form.addEventListener('change', onEdit);

  const showErrors = (errors: FieldError[]) => summary.show(errors);

  /** Back from "Check your answers" to the questions, with the focus on one field. */
  const edit = (targetId?: string) => {
    check.hidden = true;
    form.hidden = false;
    const target = targetId ? document.getElementById(targetId) : null;
    if (target) {
      const question = target.closest('fieldset.date-input')?.querySelector('legend') ?? form.querySelector(`label[for="${CSS.escape(target.id)}"]`);
      (question ?? target).scrollIntoView({ block: 'start' });
      target.focus({ preventScroll: true });
    }
  };

  check.addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest<HTMLAnchorElement>('a[data-change]');
    if (!link) return;
    e.preventDefault();
    edit(link.dataset.change);
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const result = readAndCheck(form);
    if (!result.ok) return showErrors(result.errors);
    summary.clear();
    showCheck(result.form);
  });

  const showCheck = (answers: RegistrationForm) => {
    const problem = h('div', { class: 'notice tone-bad', role: 'alert', tabindex: '-1', hidden: true, 'data-form-error': '' });
    const send = h('button', { class: 'btn', type: 'button' }, 'Send registration form');
    check.replaceChildren(
      h('h3', { id: 'check-title', tabindex: '-1' }, 'Check your answers before sending your form'),
      answersList(answers, v.student.personalEmail),
      h('h4', null, 'Now send your registration form'),
      h(
        'p',
        null,
        'By sending this form you confirm that, to the best of your knowledge, the details you are providing are correct. You can send the form once: after that, only the Academic Registry can change it.',
      ),
      problem,
      h('div', { class: 'actions' }, send),
    );
    send.addEventListener(
      'click',
      unawaited(() =>
        busy(send, 'Sending…', async () => {
          problem.hidden = true;
          // Set first: the event stream's refresh may redraw the step before the answer comes.
          student.sentHere.add('FORM');
          student.focusCard = 'FORM';
          try {
            await studentApi.submitForm(v.applicationNo, answers);
          } catch (err) {
            student.sentHere.delete('FORM');
            student.focusCard = undefined;
            const errors = err instanceof ApiError ? serverErrors(form, err) : [];
            if (errors.length) {
              edit();
              showErrors(errors);
              return;
            }
            problem.replaceChildren(
              h(
                'div',
                null,
                h('strong', null, 'Your form was not sent.'),
                h('p', null, err instanceof Error ? err.message : String(err)),
                err instanceof ApiError && err.requestId ? h('p', { class: 'small muted' }, `Reference: ${err.requestId}`) : null,
              ),
            );
            problem.hidden = false;
            problem.focus();
            return;
          }
          // The checklist redraws the form's step as done, with the confirmation, and moves the focus to it.
          await done();
        }),
      ),
    );
    form.hidden = true;
    check.hidden = false;
    const title = check.querySelector<HTMLElement>('#check-title')!;
    title.scrollIntoView({ block: 'start' });
    title.focus({ preventScroll: true });
  };
  return flow;
}

/** Every answer with a Change link to its field (the GOV.UK summary list). */
function answersList(form: RegistrationForm, personalEmail: string): HTMLElement {
  const row = (label: string, value: string | undefined, target?: string) =>
    h(
      'div',
      { class: 'summary-row' },
      h('dt', null, label),
      h('dd', null, value || h('span', { class: 'muted' }, 'Not given')),
      h(
        'dd',
        { class: 'summary-action' },
        target ? h('a', { href: `#${target}`, 'data-change': target }, 'Change', h('span', { class: 'visually-hidden' }, ` ${label.toLowerCase()}`)) : null,
      ),
    );
  const answer = (name: FormFieldName, value: string | undefined, target = fieldId(name)) => row(FIELD_WORDS[name].label, value, target);
  return h(
    'dl',
    { class: 'summary-list', 'data-testid': 'check-answers' },
    answer('legalName', form.legalName),
    answer('preferredName', form.preferredName),
    answer('chineseName', form.chineseName),
    answer('dateOfBirth', fmtCalendarDate(form.dateOfBirth), dobBoxId('day')),
    answer('nationality', form.nationality),
    answer('phone', form.phone),
    row('Personal email', personalEmail),
    answer('correspondenceAddress', form.correspondenceAddress),
    answer('emergencyContact.name', form.emergencyContact.name),
    answer('emergencyContact.relationship', form.emergencyContact.relationship),
    answer('emergencyContact.phone', form.emergencyContact.phone),
    row('Personal Information Collection Statement', form.picsConsent ? 'Read, and consent given' : undefined, 'f-picsConsent'),
  );
}

/** The answers, or every field in error (each marked, in the form's order). */
function readAndCheck(form: HTMLFormElement): { ok: true; form: RegistrationForm } | { ok: false; errors: FieldError[] } {
  clearErrors(form);
  const d = new FormData(form);
  const value = (name: string) => String(d.get(name) ?? '');
  const errors: FieldError[] = [];
  let dateOfBirth = '';
  for (const name of TEXT_FIELDS) {
    if (name === 'dateOfBirth') {
      const dob = readDateOfBirth({ day: value('dateOfBirth-day'), month: value('dateOfBirth-month'), year: value('dateOfBirth-year') }, todayInHongKong());
      if (dob.ok) dateOfBirth = dob.iso;
      else errors.push(markDateOfBirth(form, dob.message, dob.parts));
      continue;
    }
    const problem = textFieldProblem(name, value(name));
    if (problem) errors.push(markField(form, fieldId(name), problem));
  }
  if (d.get('picsConsent') !== 'on') errors.push(markField(form, 'f-picsConsent', CONSENT_MISSING));
  if (errors.length) return { ok: false, errors };
  const text = (name: FormFieldName) => value(name).trim();
  return {
    ok: true,
    form: {
      legalName: text('legalName'),
      preferredName: text('preferredName') || undefined,
      chineseName: text('chineseName') || undefined,
      dateOfBirth,
      nationality: text('nationality'),
      phone: text('phone'),
      correspondenceAddress: text('correspondenceAddress'),
      emergencyContact: {
        name: text('emergencyContact.name'),
        relationship: text('emergencyContact.relationship'),
        phone: text('emergencyContact.phone'),
      },
      picsConsent: true,
    },
  };
}

/** The gateway's refusals of single fields, marked on the form; empty when it refused something else. */
function serverErrors(form: HTMLFormElement, err: ApiError): FieldError[] {
  clearErrors(form);
  const errors: FieldError[] = [];
  for (const issue of err.fieldIssues) {
    // The gateway names fields by their path in the request body, e.g. "form.emergencyContact.phone".
    const name = issue.path.replace(/^form\./, '');
    if (name === 'picsConsent') errors.push(markField(form, 'f-picsConsent', CONSENT_MISSING));
    else if (name === 'dateOfBirth') errors.push(markDateOfBirth(form, serverFieldMessage(name, issue.message), ['day', 'month', 'year']));
    else if (name in FIELD_WORDS) errors.push(markField(form, fieldId(name), serverFieldMessage(name as FormFieldName, issue.message)));
  }
  return errors;
}

function markField(form: HTMLFormElement, id: string, message: string): FieldError {
  form.querySelector(`#${CSS.escape(id)}`)?.setAttribute('aria-invalid', 'true');
  showFieldMessage(form, id, message);
  return { target: id, message };
}

function markDateOfBirth(form: HTMLFormElement, message: string, parts: DatePart[]): FieldError {
  for (const part of parts) form.querySelector(`#${dobBoxId(part)}`)?.setAttribute('aria-invalid', 'true');
  showFieldMessage(form, DOB_ID, message);
  return { target: dobBoxId(parts[0] ?? 'day'), message };
}

function showFieldMessage(form: HTMLFormElement, id: string, message: string): void {
  const error = form.querySelector<HTMLElement>(`#${CSS.escape(id)}-error`);
  if (!error) return;
  error.replaceChildren(h('span', { class: 'visually-hidden' }, 'Error: '), message);
  error.hidden = false;
  error.closest('.field')?.classList.add('field-error');
}

function clearFieldError(form: HTMLFormElement, control: HTMLElement): void {
  if (!control.id || control.getAttribute('aria-invalid') !== 'true') return;
  // The three date boxes share one message: it goes when any of them is changed.
  const group = control.closest('fieldset.date-input');
  const controls = group ? Array.from(group.querySelectorAll('input')) : [control];
  controls.forEach((c) => c.removeAttribute('aria-invalid'));
  const error = form.querySelector<HTMLElement>(`#${CSS.escape(group ? DOB_ID : control.id)}-error`);
  if (error) error.hidden = true;
  error?.closest('.field')?.classList.remove('field-error');
}

function clearErrors(form: HTMLFormElement): void {
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  form.querySelectorAll<HTMLElement>('.error-text').forEach((el) => (el.hidden = true));
  form.querySelectorAll('.field-error').forEach((el) => el.classList.remove('field-error'));
}
