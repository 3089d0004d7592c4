/**
 * The Correct… dialog of the staff registration page: staff change fields of
 * the submitted form, with a reason (docs/domain.md, The checklist: later
 * changes go through staff). It sends only the fields the officer changed, so
 * every other field stays byte for byte as the student wrote it (the address
 * is a multi-line field and keeps its line breaks). Problems are shown next to
 * the field they name, in plain words, and the dialog stays open with
 * everything typed; it closes only once the correction is saved.
 */
import type { RegistrationForm } from '../../../../workflows/registration/types';
import { FORM_FIELD_RULES, type FormFieldName } from '../../../../workflows/registration/vocabulary';
import { ApiError } from '../api';
import { h } from '../dom';
import { messageOf, staffDialog, type DialogTurn } from './widgets';

type TextField = keyof Omit<RegistrationForm, 'emergencyContact' | 'picsConsent'>;
type ContactField = keyof RegistrationForm['emergencyContact'];

export type FormCorrection = Partial<Omit<RegistrationForm, 'emergencyContact' | 'picsConsent'>> & {
  emergencyContact?: Partial<RegistrationForm['emergencyContact']>;
};

interface FieldSpec {
  name: FormFieldName;
  label: string;
  hint?: string;
}

const FIELDS: FieldSpec[] = [
  { name: 'legalName', label: 'Legal name' },
  { name: 'preferredName', label: 'Preferred name', hint: 'Optional' },
  { name: 'chineseName', label: 'Chinese name', hint: 'Optional' },
  { name: 'dateOfBirth', label: 'Date of birth', hint: 'YYYY-MM-DD, e.g. 2006-03-14' },
  { name: 'nationality', label: 'Nationality' },
  { name: 'phone', label: 'Phone', hint: 'With country code, e.g. +852 9123 4567' },
  { name: 'correspondenceAddress', label: 'Correspondence address' },
  { name: 'emergencyContact.name', label: 'Emergency contact: name' },
  { name: 'emergencyContact.relationship', label: 'Emergency contact: relationship' },
  { name: 'emergencyContact.phone', label: 'Emergency contact: phone', hint: 'With country code' },
];

/** What each field must be, in the words staff read next to it (the server's own words are for API clients). */
const PLAIN_PROBLEM: Partial<Record<FormFieldName, string>> = {
  dateOfBirth: 'Enter a real date as YYYY-MM-DD, for example 2006-03-14.',
  phone: 'Enter a phone number with digits, spaces, brackets, hyphens and an optional leading +.',
  'emergencyContact.phone': 'Enter a phone number with digits, spaces, brackets, hyphens and an optional leading +.',
};
const EMPTY = 'This field cannot be left empty.';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const idOf = (name: string) => `cf-${name.replace('.', '-')}`;

function valueOf(form: RegistrationForm, name: FormFieldName): string {
  if (name.startsWith('emergencyContact.')) return form.emergencyContact[name.slice('emergencyContact.'.length) as ContactField] ?? '';
  return form[name as TextField] ?? '';
}

/** A textarea reports line breaks as LF whatever the student sent (CRLF too), so that is how the two are compared. */
const lines = (s: string) => s.replace(/\r\n?/g, '\n');

function control(spec: FieldSpec, value: string): HTMLElement {
  const rule = FORM_FIELD_RULES[spec.name];
  const id = idOf(spec.name);
  const attrs = { id, name: spec.name, maxlength: rule.maxLength ?? 200, 'aria-describedby': `${id}-error${spec.hint ? ` ${id}-hint` : ''}` };
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, spec.label),
    rule.multiline ? h('textarea', { ...attrs, rows: 4 }, value) : h('input', { ...attrs, type: 'text', value }),
    spec.hint ? h('span', { class: 'hint', id: `${id}-hint` }, spec.hint) : null,
    h('span', { class: 'error-text', id: `${id}-error`, hidden: true }),
  );
}

/** The fields whose value differs from the submitted form (ends trimmed), each as typed; nothing else. */
function changedFields(form: RegistrationForm, read: (name: FormFieldName) => string): FormCorrection {
  const changes: FormCorrection = {};
  for (const { name } of FIELDS) {
    const typed = lines(read(name)).trim();
    if (typed === lines(valueOf(form, name)).trim()) continue;
    if (name.startsWith('emergencyContact.')) {
      changes.emergencyContact = { ...changes.emergencyContact, [name.slice('emergencyContact.'.length)]: typed };
    } else {
      (changes as Record<string, string>)[name] = typed;
    }
  }
  return changes;
}

/** The problems the browser can see before sending, by field. */
function problemsOf(changes: FormCorrection): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const flat: Array<[FormFieldName, string]> = [
    ...Object.entries(changes)
      .filter(([k]) => k !== 'emergencyContact')
      .map(([k, v]) => [k as FormFieldName, String(v)] as [FormFieldName, string]),
    ...Object.entries(changes.emergencyContact ?? {}).map(([k, v]) => [`emergencyContact.${k}` as FormFieldName, String(v)] as [FormFieldName, string]),
  ];
  for (const [name, value] of flat) {
    const rule = FORM_FIELD_RULES[name];
    if (!value) {
      if (rule.required) problems.push([name, EMPTY]);
    } else if (name === 'dateOfBirth' ? !DATE.test(value) : rule.pattern && !new RegExp(rule.pattern).test(value)) {
      problems.push([name, PLAIN_PROBLEM[name] ?? 'This value is not accepted.']);
    }
  }
  return problems;
}

/**
 * Opens the dialog; `save` sends the changes (it throws the API's refusal). Resolves true once saved, false when
 * cancelled.
 */
export function correctFormDialog(
  studentName: string,
  form: RegistrationForm,
  save: (changes: FormCorrection, reason: string) => Promise<void>,
): Promise<boolean> {
  const reasonId = 'cf-reason';
  return staffDialog({
    idPrefix: 'cf',
    title: 'Correct the registration form',
    intro: `Change what is wrong in ${studentName}'s form. Only the fields you change are sent. Your name, the reason, and the values before and after are kept in the audit trail.`,
    fields: [
      ...FIELDS.map((spec) => control(spec, valueOf(form, spec.name))),
      h(
        'div',
        { class: 'field' },
        h('label', { for: reasonId }, 'Reason'),
        h('textarea', { id: reasonId, name: 'reason', maxlength: 1000, 'aria-describedby': `${reasonId}-error` }),
        h('span', { class: 'error-text', id: `${reasonId}-error`, hidden: true }),
      ),
    ],
    submitLabel: 'Save correction',
    busyLabel: 'Saving…',
    errorTestId: 'correction-error',
    wide: true,
    check: (data, turn) => {
      const changes = changedFields(form, (name) => String(data.get(name) ?? ''));
      const reason = String(data.get('reason') ?? '').trim();
      const problems = problemsOf(changes);
      for (const [name, message] of problems) fieldError(turn.form, name, message);
      if (!reason) fieldError(turn.form, 'reason', 'Say why you are making this correction.');
      if (!Object.keys(changes).length) turn.say('Nothing was changed: edit the field that is wrong, or cancel.');
      if (problems.length || !reason || !Object.keys(changes).length) return focusFirstProblem(turn.form);
      return () => save(changes, reason);
    },
    refused: (err, turn) => {
      showRefusal(err, turn);
      focusFirstProblem(turn.form);
    },
  });
}

/** Marks the field `name` as wrong with `message` next to it; false when the dialog has no such field. */
function fieldError(body: HTMLFormElement, name: string, message: string): boolean {
  const el = body.querySelector<HTMLElement>(`#${CSS.escape(idOf(name))}`);
  const error = body.querySelector<HTMLElement>(`#${CSS.escape(idOf(name))}-error`);
  if (!el || !error) return false;
  el.setAttribute('aria-invalid', 'true');
  error.textContent = message;
  error.hidden = false;
  return true;
}

/** The focus goes to the first marked field, else stays on the banner. */
function focusFirstProblem(body: HTMLFormElement): undefined {
  body.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  return undefined;
}

/** The gateway names a field by its path in the request ("changes.dateOfBirth"); each goes next to its field, in plain words. */
function showRefusal(err: unknown, { form, say }: DialogTurn): void {
  let placed = 0;
  if (err instanceof ApiError) {
    for (const issue of err.fieldIssues) {
      const name = issue.path.replace(/^changes\./, '');
      const plain = PLAIN_PROBLEM[name as FormFieldName] ?? (name === 'reason' ? 'Say why you are making this correction.' : `Not accepted: ${issue.message}.`);
      if (fieldError(form, name, plain)) placed++;
    }
  }
  if (placed) return say('The correction was not saved: please fix the marked fields.');
  const message = messageOf(err);
  say(`The correction was not saved: ${message.charAt(0).toLowerCase()}${message.slice(1)}`);
}
