/**
 * The Reclassify… dialog of the staff registration page (docs/domain.md,
 * Reclassification): residency, admission route, study level and program,
 * with a reason. Only what changes is sent; the workflow recomputes the
 * checklist. A refusal is shown in the dialog, which stays open.
 */
import type { Reclassification, StudentRecord } from '../../../../workflows/registration/types';
import { ApiError } from '../api';
import { h, unawaited } from '../dom';
import { STUDY_LEVEL } from '../labels';

const RESIDENCY = { LOCAL: 'Local', NON_LOCAL: 'Non-local' } as const;
const ROUTE = { JUPAS: 'JUPAS', NON_JUPAS: 'Non-JUPAS' } as const;

function select(name: string, label: string, options: Record<string, string>, value: string | undefined, none?: string): HTMLElement {
  const id = `rc-${name}`;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h(
      'select',
      { id, name },
      none !== undefined ? h('option', { value: '', selected: !value }, none) : null,
      Object.entries(options).map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ),
  );
}

/** What the dialog's values change, as the route takes it (an admission route only for an undergraduate). */
function reclassification(student: StudentRecord, read: (name: string) => string): Reclassification {
  const changes: Reclassification = {};
  const residency = read('residency') as StudentRecord['residency'];
  const studyLevel = read('studyLevel') as StudentRecord['studyLevel'];
  const admissionRoute = (read('admissionRoute') || undefined) as StudentRecord['admissionRoute'];
  const programCode = read('programCode').trim().toUpperCase();
  if (residency !== student.residency) changes.residency = residency;
  if (studyLevel !== student.studyLevel) changes.studyLevel = studyLevel;
  if (studyLevel === 'UG' && admissionRoute && admissionRoute !== student.admissionRoute) changes.admissionRoute = admissionRoute;
  if (programCode !== student.programCode) changes.programCode = programCode;
  return changes;
}

/** Opens the dialog; `save` sends the change (throws the API's refusal). Resolves true once saved, false when cancelled. */
export function reclassifyDialog(student: StudentRecord, save: (changes: Reclassification, reason: string) => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const banner = h('div', { class: 'notice tone-bad', role: 'alert', hidden: true, tabindex: '-1', 'data-testid': 'reclassify-error' });
    const submit = h('button', { type: 'submit', class: 'btn' }, 'Reclassify');
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close('cancel') }, 'Cancel');
    const body = h(
      'form',
      { novalidate: true },
      h('h2', { id: 'rc-title' }, 'Reclassify the student'),
      h(
        'p',
        { class: 'muted small' },
        `Change ${student.name}'s category or program. The checklist is recomputed: items now owed are added, due by their deadline; items no longer owed are marked no longer required. Your name and the reason are kept in the audit trail.`,
      ),
      select('residency', 'Residency', RESIDENCY, student.residency),
      select('studyLevel', 'Study level', STUDY_LEVEL, student.studyLevel),
      select('admissionRoute', 'Admission route (undergraduates)', ROUTE, student.admissionRoute, '— none (postgraduate) —'),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'rc-programCode' }, 'Program code'),
        h('input', { id: 'rc-programCode', name: 'programCode', type: 'text', value: student.programCode, maxlength: 20 }),
      ),
      h('div', { class: 'field' }, h('label', { for: 'rc-reason' }, 'Reason'), h('textarea', { id: 'rc-reason', name: 'reason', maxlength: 2000 })),
      banner,
      h('div', { class: 'actions' }, cancel, submit),
    );
    const dlg = h('dialog', { 'aria-labelledby': 'rc-title' }, body);
    let saved = false;
    const say = (message: string) => {
      banner.replaceChildren(h('div', null, message));
      banner.hidden = false;
      banner.focus();
    };

    body.addEventListener(
      'submit',
      unawaited(async (e: Event) => {
        e.preventDefault();
        banner.hidden = true;
        const data = new FormData(body);
        const read = (name: string) => String(data.get(name) ?? '');
        const changes = reclassification(student, read);
        const reason = read('reason').trim();
        if (!Object.keys(changes).length) return say('Nothing was changed: choose the new residency, route, level or program, or cancel.');
        if (read('studyLevel') === 'UG' && !read('admissionRoute')) return say('An undergraduate needs an admission route: choose JUPAS or Non-JUPAS.');
        if (!reason) return say('Say why you are reclassifying the student.');
        submit.disabled = true;
        try {
          await save(changes, reason);
          saved = true;
          dlg.close('saved');
        } catch (err) {
          const issues = err instanceof ApiError ? err.fieldIssues.map((i) => `${i.path.replace(/^changes\./, '')}: ${i.message}`) : [];
          const message = issues.length ? issues.join('; ') : err instanceof Error ? err.message : String(err);
          say(`Not reclassified: ${message}`);
        } finally {
          submit.disabled = false;
        }
      }),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(saved);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}
