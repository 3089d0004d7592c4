/** The review queue: submitted items, oldest first, with filters and the Review next button. */
import { FILE_ITEM_KINDS, KIND_LABELS } from '../../../../workflows/registration/vocabulary';
import { fmtDate, fmtShort, h } from '../dom';
import { QUEUE_EXTRAS, extraFilters } from './list-filters';
import { reviewNextButton } from './review-next';
import { navigate, staff, staffKey } from './session';
import { filterForm, itemName, pageHead, pager, query, regLink, select, stateBadge, table, textFilter } from './widgets';

export async function queuePage(): Promise<HTMLElement> {
  const q = query();
  const filters = {
    programCode: q.get('programCode') ?? undefined,
    kind: q.get('kind') ?? undefined,
    state: q.get('state') ?? undefined,
    cohortId: q.get('cohortId') ?? undefined,
  };
  const page = Number(q.get('page') ?? 1) || 1;
  const extra = extraFilters(q, QUEUE_EXTRAS);
  const result = await staff.api.queue({ ...filters, ...extra.values, page });
  const rows = result.items.map((e) => {
    const late = e.slaBreached ?? false;
    return h(
      'tr',
      { 'data-application': e.applicationNo, 'data-item': e.itemKey },
      h('td', { class: `num ${late ? 'age-late' : ''}` }, String(e.ageWorkingDays), late ? h('span', { class: 'visually-hidden' }, ' (overdue)') : null),
      h('td', null, fmtShort(e.submittedAt)),
      h('td', null, regLink(e.applicationNo, e.name), h('div', { class: 'small muted mono' }, e.applicationNo)),
      h('td', null, e.programCode),
      h('td', null, itemName(e.itemKey, e.itemLabel), e.flag ? h('div', { class: 'small age-late', 'data-flag': '' }, e.flag) : null),
      h('td', null, stateBadge(e.state)),
      h('td', { 'data-due': e.expectedVerificationDate ?? '' }, e.expectedVerificationDate ? fmtDate(e.expectedVerificationDate) : ''),
      h(
        'td',
        null,
        h(
          'a',
          {
            class: 'btn btn-sm',
            href: `/staff/registrations/${encodeURIComponent(e.applicationNo)}#review-${e.itemKey}`,
            'aria-label': `Review ${itemName(e.itemKey, e.itemLabel)} of ${e.name}`,
          },
          'Review',
        ),
      ),
    );
  });
  return h(
    'div',
    null,
    pageHead(
      'Review queue',
      "Submitted items, oldest first. Age counts Hong Kong working days; each item is due by its cohort's service level (Due by).",
      reviewNextButton(staffKey(), navigate),
    ),
    extra.notice,
    filterForm(
      ...extra.hidden,
      textFilter('programCode', 'Program', filters.programCode ?? null, 'e.g. BEng-COMP'),
      select(
        'kind',
        'Item type',
        FILE_ITEM_KINDS.map((k) => [k, KIND_LABELS[k]]),
        filters.kind ?? null,
      ),
      select(
        'state',
        'Item status',
        [
          ['SUBMITTED', 'Waiting for review'],
          ['REJECTED', 'Rejected, waiting for the student'],
        ],
        filters.state ?? 'SUBMITTED',
        { none: null },
      ),
      textFilter('cohortId', 'Cohort', filters.cohortId ?? null),
    ),
    table(
      [['Age (working days)', 'num'], 'Submitted', 'Student', 'Program', 'Item', 'Status', 'Due by', ''],
      rows,
      'Nothing to review. Well done!',
      'Items waiting for review',
    ),
    pager(result.page ?? page, result.pageSize ?? (result.items.length || 50), result.total),
  );
}
