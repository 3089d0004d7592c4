/** The registrations list: every admitted student, filtered by status, program, cohort, outstanding item and a personal email that bounced. */
import { fmtDate, h } from '../dom';
import { STATUS, STUDY_LEVEL } from '../labels';
import { REGISTRATION_EXTRAS, extraFilters } from './list-filters';
import { staff } from './session';
import { filterForm, itemName, outstandingOptions, pageHead, pager, query, regLink, select, statusBadge, table, textFilter } from './widgets';

export async function registrationsPage(): Promise<HTMLElement> {
  const q = query();
  const f = {
    status: q.get('status') ?? undefined,
    programCode: q.get('programCode') ?? undefined,
    cohortId: q.get('cohortId') ?? undefined,
    outstanding: q.get('outstanding') ?? undefined,
    overdue: q.get('overdue') === 'true' || undefined,
    emailProblem: q.get('emailProblem') === 'true' || undefined,
    q: q.get('q') ?? undefined,
    page: Number(q.get('page') ?? 1) || 1,
  };
  const extra = extraFilters(q, REGISTRATION_EXTRAS);
  const result = await staff.api.registrations({ ...f, ...extra.values });
  const rows = result.items.map((r) =>
    h(
      'tr',
      { 'data-application': r.applicationNo },
      h('td', { class: 'mono' }, regLink(r.applicationNo)),
      h(
        'td',
        null,
        r.name,
        r.personalEmailProblem
          ? h(
              'div',
              { class: 'small age-late', 'data-flag': 'email' },
              r.personalEmailProblem === 'BOUNCED' ? 'Personal email bounced' : 'Personal email marked as spam',
            )
          : null,
      ),
      h(
        'td',
        null,
        r.programCode,
        h(
          'div',
          { class: 'small muted' },
          STUDY_LEVEL[r.studyLevel as keyof typeof STUDY_LEVEL] ?? r.studyLevel,
          ' · ',
          r.residency === 'LOCAL' ? 'Local' : 'Non-local',
        ),
      ),
      h('td', null, r.cohortId),
      h('td', null, statusBadge(r.status)),
      h('td', { class: 'small' }, r.outstandingItems.length ? r.outstandingItems.map((k) => itemName(k)).join(', ') : h('span', { class: 'muted' }, 'None')),
      h('td', null, fmtDate(r.registrationDeadline)),
    ),
  );
  return h(
    'div',
    null,
    pageHead('Registrations', 'Every admitted student of the imported cohorts.'),
    extra.notice,
    filterForm(
      ...extra.hidden,
      textFilter('q', 'Search', f.q ?? null, 'Name, application no. or email'),
      select(
        'status',
        'Status',
        Object.entries(STATUS).map(([k, v]) => [k, v.label]),
        f.status ?? null,
      ),
      textFilter('programCode', 'Program', f.programCode ?? null),
      textFilter('cohortId', 'Cohort', f.cohortId ?? null),
      select('outstanding', 'Outstanding item', outstandingOptions(), f.outstanding ?? null),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'overdue', value: 'true', checked: f.overdue }), 'Overdue only'),
      h(
        'label',
        { class: 'check' },
        h('input', { type: 'checkbox', name: 'emailProblem', value: 'true', checked: f.emailProblem }),
        'Personal email problem only',
      ),
    ),
    table(
      ['Application no.', 'Name', 'Program', 'Cohort', 'Status', 'Outstanding', 'Deadline'],
      rows,
      'No registrations match these filters.',
      'Registrations',
    ),
    pager(result.page ?? f.page, result.pageSize ?? 50, result.total),
  );
}
