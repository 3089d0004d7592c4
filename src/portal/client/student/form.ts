/**
 * The registration form: personal particulars, contact and emergency contact,
 * and consent to the Personal Information Collection Statement. Submitted
 * once; the browser checks what it can, the workflow has the last word and
 * its refusals are shown next to the fields they name.
 */
import type { RegistrationForm } from '../../../../workflows/registration/types';
import { FORM_FIELD_RULES, type FormFieldName } from '../../../../workflows/registration/vocabulary';
import { ApiError, studentApi, type StatusResponse } from '../api';
import { busy, dialog, h, toast, unawaited } from '../dom';

interface FieldSpec {
  name: FormFieldName;
  label: string;
  hint?: string;
  type?: 'text' | 'date' | 'tel' | 'textarea';
  autocomplete?: string;
  value?: string;
  wide?: boolean;
}

/** A field of the form; what it accepts (required, length, pattern) is the form's rule, which the gateway and the workflow check too. */
function field(spec: FieldSpec): HTMLElement {
  const id = `f-${spec.name.replace('.', '-')}`;
  const rule = FORM_FIELD_RULES[spec.name];
  const attrs = {
    id,
    name: spec.name,
    required: rule.required,
    autocomplete: spec.autocomplete,
    pattern: rule.pattern,
    maxlength: rule.maxLength ?? 200,
    'aria-describedby': `${id}-error${spec.hint ? ` ${id}-hint` : ''}`,
  };
  const control =
    spec.type === 'textarea'
      ? h('textarea', { ...attrs, rows: 3 }, spec.value ?? '')
      : h('input', { ...attrs, type: spec.type ?? 'text', value: spec.value, max: spec.type === 'date' ? new Date().toISOString().slice(0, 10) : undefined });
  return h(
    'div',
    { class: `field ${spec.wide ? 'span-2' : ''}` },
    h('label', { for: id }, spec.label, rule.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    control,
    spec.hint ? h('span', { class: 'hint', id: `${id}-hint` }, spec.hint) : null,
    h('span', { class: 'error-text', id: `${id}-error`, hidden: true }),
  );
}

export function registrationForm(v: StatusResponse, done: () => void): HTMLElement {
  const form = h(
    'form',
    { class: 'registration-form', novalidate: true, 'aria-labelledby': 'form-title' },
    h('h3', { id: 'form-title', class: 'visually-hidden' }, 'Registration form'),
    h(
      'p',
      { class: 'small muted' },
      'Fields marked ',
      h('span', { class: 'req' }, '*'),
      ' are required. Please write your names exactly as in your identification document.',
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Personal particulars'),
      h(
        'div',
        { class: 'grid-2' },
        field({
          name: 'legalName',
          label: 'Full legal name',
          hint: 'As in your passport or identity card',
          autocomplete: 'name',
          value: v.student.name,
          wide: true,
        }),
        field({ name: 'preferredName', label: 'Preferred name', hint: 'Optional', autocomplete: 'nickname' }),
        field({ name: 'chineseName', label: 'Name in Chinese', hint: 'Optional' }),
        field({ name: 'dateOfBirth', label: 'Date of birth', type: 'date', autocomplete: 'bday' }),
        field({ name: 'nationality', label: 'Nationality', autocomplete: 'country-name' }),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Contact'),
      h(
        'div',
        { class: 'grid-2' },
        field({ name: 'phone', label: 'Mobile phone', hint: 'With country code, e.g. +852 9123 4567', type: 'tel', autocomplete: 'tel' }),
        h('div', { class: 'field' }, h('span', { class: 'label' }, 'Personal email'), h('p', { class: 'small' }, v.student.personalEmail)),
        field({ name: 'correspondenceAddress', label: 'Correspondence address', type: 'textarea', autocomplete: 'street-address', wide: true }),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Emergency contact'),
      h(
        'div',
        { class: 'grid-2' },
        field({ name: 'emergencyContact.name', label: 'Name' }),
        field({ name: 'emergencyContact.relationship', label: 'Relationship to you', hint: 'e.g. Parent, Spouse' }),
        field({ name: 'emergencyContact.phone', label: 'Phone', hint: 'With country code', type: 'tel' }),
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
        h(
          'label',
          { class: 'check', for: 'f-picsConsent' },
          h('input', { type: 'checkbox', id: 'f-picsConsent', name: 'picsConsent', required: true, 'aria-describedby': 'f-picsConsent-error' }),
          'I have read the Personal Information Collection Statement and consent to the use of my personal data as described.',
        ),
        h('span', { class: 'error-text', id: 'f-picsConsent-error', hidden: true }),
      ),
    ),
    h('div', { class: 'notice tone-bad', role: 'alert', hidden: true, 'data-form-error': '' }),
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'btn', type: 'submit' }, 'Submit registration form'),
      h('span', { class: 'small muted' }, 'You can submit the form once.'),
    ),
  );

  // A field's complaint goes away as soon as the student changes the field.
  form.addEventListener('input', (e) => clearFieldError(form, e.target as HTMLElement));
  form.addEventListener('change', (e) => clearFieldError(form, e.target as HTMLElement));

  form.addEventListener(
    'submit',
    unawaited(async (e: Event) => {
      e.preventDefault();
      clearErrors(form);
      if (!checkFields(form)) return;
      const confirmed = await dialog(
        'Submit your registration form?',
        [h('p', null, 'Please check your details. Once submitted, the form cannot be changed here; later changes go through the Academic Registry.')],
        'Submit',
      );
      if (!confirmed) return;
      const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
      await busy(submit, 'Submitting…', async () => {
        try {
          await studentApi.submitForm(v.applicationNo, readForm(form));
          toast('Your registration form has been submitted.');
          done();
        } catch (err) {
          showServerError(form, err);
        }
      });
    }),
  );
  return form;
}

function readForm(form: HTMLFormElement): RegistrationForm {
  const d = new FormData(form);
  const text = (name: FormFieldName) => String(d.get(name) ?? '').trim();
  const optional = (name: FormFieldName) => text(name) || undefined;
  return {
    legalName: text('legalName'),
    preferredName: optional('preferredName'),
    chineseName: optional('chineseName'),
    dateOfBirth: text('dateOfBirth'),
    nationality: text('nationality'),
    phone: text('phone'),
    correspondenceAddress: text('correspondenceAddress'),
    emergencyContact: {
      name: text('emergencyContact.name'),
      relationship: text('emergencyContact.relationship'),
      phone: text('emergencyContact.phone'),
    },
    picsConsent: d.get('picsConsent') === 'on',
  };
}

/** The browser's own constraint checks, shown in our words next to each field. */
function checkFields(form: HTMLFormElement): boolean {
  let first: HTMLElement | undefined;
  for (const el of Array.from(form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea'))) {
    if (el.checkValidity()) continue;
    const message =
      el.type === 'checkbox'
        ? 'Please give your consent to continue.'
        : el.validity.valueMissing
          ? 'Please fill in this field.'
          : el.validity.patternMismatch
            ? 'Please enter a phone number with digits, spaces or + only.'
            : el.validity.rangeOverflow
              ? 'The date cannot be in the future.'
              : el.validationMessage;
    setFieldError(form, el.name, message);
    first ??= el;
  }
  first?.focus();
  return !first;
}

function setFieldError(form: HTMLFormElement, name: string, message: string): boolean {
  const control = form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
  const error = control ? form.querySelector<HTMLElement>(`#${CSS.escape(control.id)}-error`) : null;
  if (!control || !error) return false;
  control.setAttribute('aria-invalid', 'true');
  error.textContent = message;
  error.hidden = false;
  return true;
}

function clearFieldError(form: HTMLFormElement, control: HTMLElement): void {
  if (!control.id || control.getAttribute('aria-invalid') !== 'true') return;
  control.removeAttribute('aria-invalid');
  const error = form.querySelector<HTMLElement>(`#${CSS.escape(control.id)}-error`);
  if (error) error.hidden = true;
}

function clearErrors(form: HTMLFormElement): void {
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  form.querySelectorAll<HTMLElement>('.error-text').forEach((el) => (el.hidden = true));
  const banner = form.querySelector<HTMLElement>('[data-form-error]');
  if (banner) banner.hidden = true;
}

function showServerError(form: HTMLFormElement, err: unknown): void {
  let placed = 0;
  if (err instanceof ApiError) {
    for (const issue of err.fieldIssues) {
      // The gateway names fields by their path in the request body, e.g. "form.emergencyContact.phone".
      const name = issue.path.replace(/^form\./, '');
      if (setFieldError(form, name, issue.message)) placed++;
    }
  }
  const banner = form.querySelector<HTMLElement>('[data-form-error]')!;
  banner.replaceChildren(
    h(
      'div',
      null,
      h('strong', null, placed ? 'Please correct the marked fields.' : 'The form was not submitted.'),
      placed ? null : h('p', null, err instanceof Error ? err.message : String(err)),
      err instanceof ApiError && err.requestId ? h('p', { class: 'small muted' }, `Reference: ${err.requestId}`) : null,
    ),
  );
  banner.hidden = false;
  (form.querySelector<HTMLElement>('[aria-invalid="true"]') ?? banner).focus?.();
}
