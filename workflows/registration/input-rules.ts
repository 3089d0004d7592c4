/**
 * What a student's or staff member's input must be, as pure rules: the form
 * (required fields, consent, text the read model can keep), a staff
 * correction of it, and whether a payment settles the cohort's fee. The
 * update checks (student-, review- and staff-actions.ts) apply them.
 */
import { RegistrationFailure, registrationFailure } from './api';
import { stripUndefined } from './plain';
import { textProblemsIn, type TextRule } from './text';
import type { CorrectFormInput, PaymentConfirmedInput, RegistrationForm, TuitionFee } from './types';
import { REQUIRED_FORM_FIELDS } from './vocabulary';

/** Why a payment does not settle the cohort's fee, or undefined when it does (or the cohort sets no fee). */
export function feeMismatch(fee: TuitionFee | undefined, paid: Pick<PaymentConfirmedInput, 'amount' | 'currency'>): string | undefined {
  if (!fee) return undefined;
  const expected = `${fee.amount} ${fee.currency}`;
  if (paid.amount === undefined || !paid.currency) return `the payment did not state its amount and currency; the fee is ${expected}`;
  if (paid.currency.toUpperCase() !== fee.currency.toUpperCase() || Math.abs(paid.amount - fee.amount) > 0.005) {
    return `paid ${paid.amount} ${paid.currency}, the fee is ${expected}`;
  }
  return undefined;
}

/** The form with a staff correction applied (the emergency contact merged field by field). */
export function correctedForm(form: RegistrationForm, input: CorrectFormInput): RegistrationForm {
  const { emergencyContact, ...rest } = input.changes ?? {};
  const fields = Object.fromEntries(Object.entries(rest).filter(([k, v]) => v !== undefined && k !== 'picsConsent'));
  return { ...form, ...fields, emergencyContact: { ...form.emergencyContact, ...stripUndefined(emergencyContact ?? {}) } };
}

/** The fields that differ, as flat before/after maps (`emergencyContact.phone`), for the audit trail. */
export function formChanges(before: RegistrationForm, after: RegistrationForm): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const flat = (f: RegistrationForm): Record<string, unknown> => {
    const { emergencyContact, ...rest } = f;
    return { ...rest, ...Object.fromEntries(Object.entries(emergencyContact ?? {}).map(([k, v]) => [`emergencyContact.${k}`, v])) };
  };
  const b = flat(before);
  const a = flat(after);
  const changed = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => b[k] !== a[k]);
  return { before: Object.fromEntries(changed.map((k) => [k, b[k] ?? null])), after: Object.fromEntries(changed.map((k) => [k, a[k] ?? null])) };
}

export function formProblems(form: RegistrationForm | undefined): string[] {
  if (!form) return ['form is missing'];
  const problems: string[] = [];
  for (const f of REQUIRED_FORM_FIELDS) if (typeof form[f] !== 'string' || !form[f].trim()) problems.push(`${f} is required`);
  const ec = form.emergencyContact;
  if (!ec || !ec.name?.trim() || !ec.relationship?.trim() || !ec.phone?.trim()) problems.push('an emergency contact (name, relationship, phone) is required');
  if (form.picsConsent !== true) problems.push('consent to the personal information collection statement is required');
  const { correspondenceAddress, ...singleLine } = form;
  problems.push(...unkeepableText(singleLine), ...unkeepableText({ correspondenceAddress }, { multiline: true }));
  return problems;
}

/** Text the read model could never store (or control characters nobody means): the same rule as the gateway's. */
export function unkeepableText(value: object, rule: TextRule = {}): string[] {
  return textProblemsIn(value, rule).map((p) => `${p.path} ${p.problem}`);
}

export function checkKeepableText(fields: Record<string, string | undefined>, rule: TextRule = {}): void {
  const problems = unkeepableText(fields, rule);
  if (problems.length) throw registrationFailure(RegistrationFailure.InvalidInput, `not valid text: ${problems.join('; ')}`, { problems });
}
