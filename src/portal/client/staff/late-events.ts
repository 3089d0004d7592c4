/** Late events: payments and account activations that arrived after the outcome (recorded, never applied). */
import { fmtShort, h } from '../dom';
import { LATE_EVENT } from '../labels';
import { staff } from './session';
import { filterForm, pageHead, pager, query, regLink, select, statusBadge, summary, table, textFilter } from './widgets';

export async function lateEventsPage(): Promise<HTMLElement> {
  const q = query();
  const f = {
    kind: q.get('kind') ?? undefined,
    cohortId: q.get('cohortId') ?? undefined,
    programCode: q.get('programCode') ?? undefined,
    applicationNo: q.get('applicationNo') ?? undefined,
  };
  const page = Number(q.get('page') ?? 1) || 1;
  const result = await staff.api.lateEvents({ ...f, page });
  const rows = result.items.map((e) =>
    h(
      'tr',
      { 'data-application': e.applicationNo, 'data-kind': e.kind },
      h('td', null, fmtShort(e.at)),
      h('td', null, regLink(e.applicationNo, e.name, '#audit-title'), h('div', { class: 'small muted mono' }, e.applicationNo)),
      h('td', null, e.programCode),
      h('td', null, LATE_EVENT[e.kind].one),
      h('td', null, statusBadge(e.registrationStatus), e.outcomeReason ? h('div', { class: 'small muted' }, e.outcomeReason) : null),
      h('td', { class: 'small' }, summary(e.data)),
    ),
  );
  return h(
    'div',
    null,
    pageHead(
      'Late events',
      'Payments and account activations that arrived after the registration reached its outcome. They changed nothing; the registry was emailed about each. Decide whether a refund or another step is needed.',
    ),
    filterForm(
      select(
        'kind',
        'Event',
        Object.entries(LATE_EVENT).map(([k, words]) => [k, words.one]),
        f.kind ?? null,
      ),
      textFilter('programCode', 'Program', f.programCode ?? null),
      textFilter('cohortId', 'Cohort', f.cohortId ?? null),
      textFilter('applicationNo', 'Application no.', f.applicationNo ?? null),
    ),
    table(['Received', 'Student', 'Program', 'Event', 'Registration was', 'Details'], rows, 'No late events.', 'Late events'),
    pager(result.page ?? page, result.pageSize ?? (result.items.length || 50), result.total),
  );
}
