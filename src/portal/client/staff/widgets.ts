/**
 * Pieces the staff pages share: the page head, error card, filters that write
 * themselves into the address, tables and pager, badges and links, the names
 * of item keys, and the one-line digest of an event's data.
 */
import { ITEM_LABELS, KIND_LABELS, SUPPLEMENTARY_PREFIX } from '../../../../workflows/registration/vocabulary';
import type { ItemKind } from '../../../../workflows/registration/types';
import { ApiError } from '../api';
import { h, type Child } from '../dom';
import { ITEM_STATE, STATUS, humanize } from '../labels';
import { boot, navigate } from './session';

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function errorCard(e: unknown): HTMLElement {
  return h(
    'section',
    { class: 'card', role: 'alert' },
    h('h1', null, e instanceof ApiError && e.status === 404 ? 'Not found' : 'Something went wrong'),
    h('p', null, messageOf(e)),
    e instanceof ApiError && e.requestId ? h('p', { class: 'small muted' }, `Request id ${e.requestId}`) : null,
  );
}

export function query(): URLSearchParams {
  return new URLSearchParams(location.search);
}

export function pageHead(title: string, subtitle: Child, ...actions: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'page-head' },
    h('div', null, h('h1', null, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

/** A filter's drop-down; `all` labels the no-filter choice, or is null when one of the options is always chosen. */
export function select(name: string, label: string, options: Array<[string, string]>, value: string | null, all: string | null = 'All'): HTMLElement {
  const id = `flt-${name}`;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h(
      'select',
      { id, name },
      all === null ? null : h('option', { value: '' }, all),
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ),
  );
}

export function textFilter(name: string, label: string, value: string | null, placeholder = ''): HTMLElement {
  const id = `flt-${name}`;
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { type: 'text', id, name, value: value ?? '', placeholder }));
}

/** A filter form that writes its values into the URL, which reloads the page's data. */
export function filterForm(...fields: HTMLElement[]): HTMLFormElement {
  const form = h(
    'form',
    { class: 'filters card', role: 'search' },
    fields,
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'btn', type: 'submit' }, 'Apply'),
      h('a', { class: 'btn btn-secondary', href: location.pathname }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams();
    new FormData(form).forEach((v, k) => void (String(v).trim() && qs.set(k, String(v).trim())));
    navigate(`${location.pathname}${qs.toString() ? `?${qs}` : ''}`);
  });
  form.addEventListener('change', (e) => (e.target as HTMLElement).tagName === 'SELECT' && form.requestSubmit());
  return form;
}

export function table(headers: Array<string | [string, string]>, rows: HTMLElement[], empty: string, caption: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((x) => (Array.isArray(x) ? h('th', { scope: 'col', class: x[1] }, x[0]) : h('th', { scope: 'col' }, x))),
        ),
      ),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: headers.length, class: 'empty' }, empty))),
    ),
  );
}

export function pager(page: number, pageSize: number, total: number | undefined): HTMLElement {
  const pages = total === undefined ? page + 1 : Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number, text: string, disabled: boolean) => {
    const qs = query();
    qs.set('page', String(p));
    return disabled
      ? h('span', { class: 'btn btn-secondary btn-sm', 'aria-disabled': 'true' }, text)
      : h('a', { class: 'btn btn-secondary btn-sm', href: `${location.pathname}?${qs}` }, text);
  };
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = total === undefined ? page * pageSize : Math.min(total, page * pageSize);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h('span', { class: 'muted' }, total === undefined ? `Page ${page}` : `${from}–${to} of ${total}`),
    h('span', { class: 'actions' }, link(page - 1, '← Previous', page <= 1), link(page + 1, 'Next →', page >= pages)),
  );
}

export const statusBadge = (status: string) => {
  const s = STATUS[status as keyof typeof STATUS] ?? { label: humanize(status), tone: 'neutral' };
  return h('span', { class: `badge tone-${s.tone}` }, s.label);
};

export const stateBadge = (state: string) => {
  const s = ITEM_STATE[state as keyof typeof ITEM_STATE] ?? { staffLabel: humanize(state), tone: 'neutral' };
  return h('span', { class: `badge tone-${s.tone}` }, s.staffLabel);
};

export const regLink = (no: string, text: Child = no, hash = '') => h('a', { href: `/staff/registrations/${encodeURIComponent(no)}${hash}` }, text);

/** The gateway builds the workflow's Temporal UI address from its configuration. */
export const temporalLink = (url: string | undefined) =>
  url
    ? h('a', { class: 'btn btn-secondary', href: url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'temporal-link' }, 'Open in Temporal UI ↗')
    : null;

export const itemName = (key: string, label?: string) =>
  label ??
  (key.startsWith(SUPPLEMENTARY_PREFIX)
    ? (boot.supplementaryDocuments[key.slice(SUPPLEMENTARY_PREFIX.length)] ?? humanize(key.slice(SUPPLEMENTARY_PREFIX.length)))
    : (KIND_LABELS[key as ItemKind] ?? humanize(key)));

/** Item keys a registration can owe: the fixed kinds and each supplementary document. */
export const outstandingOptions = (): Array<[string, string]> => [
  ...Object.entries(ITEM_LABELS),
  ...Object.entries(boot.supplementaryDocuments).map(([code, label]): [string, string] => [`${SUPPLEMENTARY_PREFIX}${code}`, label]),
];

/** Fields that repeat the entry's own time and actor, or are ids nobody reads. */
const HIDDEN_EVENT_FIELDS = new Set(['actor', 'at', 'seq', 'sha256', 'documentId', 'idempotencyKey', 'uploadedBy']);

/** A one-line digest of an event's data: its simple fields, not nested blobs. */
export function summary(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  return Object.entries(data as Record<string, unknown>)
    .filter(([k, v]) => v !== undefined && v !== null && typeof v !== 'object' && !HIDDEN_EVENT_FIELDS.has(k))
    .slice(0, 6)
    .map(([k, v]) => `${humanize(k).toLowerCase()}: ${String(v)}`)
    .join(' · ');
}
