/**
 * Read-only pieces both portals show: the submitted form, and the cohort's
 * policy numbers in words (always from the status view, never written into a page).
 */
import type { RegistrationForm } from '../../../workflows/registration/types';
import { fmtCalendarDate, h } from './dom';

/** The submitted form, read-only (staff corrections included). */
export function formSummary(form: RegistrationForm): HTMLElement {
  const row = (label: string, value: string | undefined) => (value ? h('div', null, h('dt', null, label), h('dd', null, value)) : null);
  return h(
    'dl',
    { class: 'facts form-summary', 'data-testid': 'form-summary' },
    row('Legal name', form.legalName),
    row('Preferred name', form.preferredName),
    row('Chinese name', form.chineseName),
    row('Date of birth', fmtCalendarDate(form.dateOfBirth)),
    row('Nationality', form.nationality),
    row('Phone', form.phone),
    row('Correspondence address', form.correspondenceAddress),
    row('Emergency contact', `${form.emergencyContact.name} (${form.emergencyContact.relationship}), ${form.emergencyContact.phone}`),
  );
}

/** The cohort's numbers in words: "3 working days", "7 and 1 days". */
export const workingDays = (n: number) => `${n} working day${n === 1 ? '' : 's'}`;
export const daysList = (ns: number[]) => {
  const words = ns.map(String);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : (words[0] ?? '');
  return `${list} day${ns.length === 1 && ns[0] === 1 ? '' : 's'}`;
};
