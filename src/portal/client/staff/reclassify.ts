/**
 * The Reclassify… dialog of the staff registration page (docs/domain.md,
 * Reclassification): residency, admission route, study level and program,
 * with a reason. Only what changes is sent; the workflow recomputes the
 * checklist. A refusal is shown in the dialog, which stays open.
 */
import type { Reclassification, StudentRecord } from '../../../../workflows/registration/types';
import { h } from '../dom';
import { STUDY_LEVEL } from '../labels';
import { refusalText, select, staffDialog } from './widgets';

const RESIDENCY = { LOCAL: 'Local', NON_LOCAL: 'Non-local' } as const;
const ROUTE = { JUPAS: 'JUPAS', NON_JUPAS: 'Non-JUPAS' } as const;

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
  const own = { none: null, idPrefix: 'rc' };
  return staffDialog({
    idPrefix: 'rc',
    title: 'Reclassify the student',
    intro: `Change ${student.name}'s category or program. The checklist is recomputed: items now owed are added, due by their deadline; items no longer owed are marked no longer required. Your name and the reason are kept in the audit trail.`,
    fields: [
      select('residency', 'Residency', RESIDENCY, student.residency, own),
      select('studyLevel', 'Study level', STUDY_LEVEL, student.studyLevel, own),
      select('admissionRoute', 'Admission route (undergraduates)', ROUTE, student.admissionRoute, { ...own, none: '— none (postgraduate) —' }),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'rc-programCode' }, 'Program code'),
        h('input', { id: 'rc-programCode', name: 'programCode', type: 'text', value: student.programCode, maxlength: 20 }),
      ),
      h('div', { class: 'field' }, h('label', { for: 'rc-reason' }, 'Reason'), h('textarea', { id: 'rc-reason', name: 'reason', maxlength: 2000 })),
    ],
    submitLabel: 'Reclassify',
    errorTestId: 'reclassify-error',
    check: (data, { say }) => {
      const read = (name: string) => String(data.get(name) ?? '');
      const changes = reclassification(student, read);
      const reason = read('reason').trim();
      if (!Object.keys(changes).length) return say('Nothing was changed: choose the new residency, route, level or program, or cancel.');
      if (read('studyLevel') === 'UG' && !read('admissionRoute')) return say('An undergraduate needs an admission route: choose JUPAS or Non-JUPAS.');
      if (!reason) return say('Say why you are reclassifying the student.');
      return () => save(changes, reason);
    },
    refused: (err, { say }) => say(`Not reclassified: ${refusalText(err)}`),
  });
}
