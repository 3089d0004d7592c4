/**
 * Filters the dashboard's links put on the registrations list and the review
 * queue beyond the ones their forms show (study level, admission route,
 * residency, open, missing a compulsory item, past the service level). The
 * list pages pass them to the API, keep them through their own form as
 * hidden fields, and say that they apply, with a way to drop them.
 */
import { h } from '../dom';
import { STUDY_LEVEL } from '../labels';

export const REGISTRATION_EXTRAS = ['studyLevel', 'admissionRoute', 'residency', 'open', 'missingCompulsory'] as const;
export const QUEUE_EXTRAS = ['studyLevel', 'slaBreached'] as const;

const WORDS: Record<string, (v: string) => string> = {
  studyLevel: (v) => STUDY_LEVEL[v as keyof typeof STUDY_LEVEL] ?? v,
  admissionRoute: (v) => (v === 'JUPAS' ? 'JUPAS' : 'Non-JUPAS'),
  residency: (v) => (v === 'LOCAL' ? 'local' : 'non-local'),
  open: () => 'open registrations',
  missingCompulsory: () => 'missing a compulsory item',
  slaBreached: () => 'past the service level',
};

export function extraFilters(
  q: URLSearchParams,
  names: readonly string[],
): { values: Record<string, string>; hidden: HTMLElement[]; notice: HTMLElement | null } {
  const values: Record<string, string> = {};
  for (const name of names) {
    const v = q.get(name);
    if (v) values[name] = v;
  }
  const entries = Object.entries(values);
  if (!entries.length) return { values, hidden: [], notice: null };
  const rest = new URLSearchParams(q);
  for (const name of names) rest.delete(name);
  rest.delete('page');
  return {
    values,
    hidden: entries.map(([name, value]) => h('input', { type: 'hidden', name, value })),
    notice: h(
      'p',
      { class: 'notice tone-info small', 'data-testid': 'extra-filters' },
      `Also filtered: ${entries.map(([k, v]) => (WORDS[k] ?? ((x: string) => `${k} ${x}`))(v)).join(' · ')}. `,
      h('a', { href: `${location.pathname}${rest.toString() ? `?${rest}` : ''}` }, 'Show all'),
    ),
  };
}
