/**
 * Pieces the staff pages share: the page head, error card, filters that write
 * themselves into the address, the dialog of a change made with a reason,
 * tables and pager, badges and links, the names of item keys, and the one-line
 * digest of an event's data.
 */
import { ITEM_LABELS, KIND_LABELS, SUPPLEMENTARY_PREFIX } from '../../../../workflows/registration/vocabulary';
import type { ItemKind } from '../../../../workflows/registration/types';
import { ApiError } from '../api';
import { h, unawaited, type Child } from '../dom';
import { ITEM_STATE, STATUS, humanize } from '../labels';
import { boot, navigate } from './session';

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The API's refusal in a sentence: its field issues (named without the `changes.` wrapper), else its message. */
export function refusalText(err: unknown): string {
  const issues = err instanceof ApiError ? err.fieldIssues.map((i) => `${i.path.replace(/^changes\./, '')}: ${i.message}`) : [];
  return issues.length ? issues.join('; ') : messageOf(err);
}

/** What a staff dialog's `check` and `refused` are handed. */
export interface DialogTurn {
  form: HTMLFormElement;
  /** Shows a problem in the dialog's banner and moves the focus there; the dialog stays open with everything typed. */
  say(message: string): undefined;
}

export interface StaffDialogSpec {
  /** Prefix of the dialog's element ids: the title is `<idPrefix>-title`. */
  idPrefix: string;
  title: string;
  intro: string;
  fields: Child[];
  submitLabel: string;
  /** The label of the submit button while the change is sent, if it differs from `submitLabel`. */
  busyLabel?: string;
  /** data-testid of the banner that shows problems. */
  errorTestId: string;
  wide?: boolean;
  /** Reads the form; returns the save to run, or undefined once it has said (or marked) what is wrong. */
  check(data: FormData, turn: DialogTurn): (() => Promise<void>) | undefined;
  /** Shows the API's refusal of the save. */
  refused(err: unknown, turn: DialogTurn): void;
}

/**
 * The modal every staff change with a reason is made in (correct email, reclassify, correct form): a heading, what
 * the change does and what the audit trail keeps, the fields, a banner for problems, Cancel and the submit button.
 * Problems keep it open with everything typed; a field marked `aria-invalid` (with its `<id>-error` text) is cleared
 * as soon as it is edited. Resolves true once saved, false when cancelled.
 */
export function staffDialog(spec: StaffDialogSpec): Promise<boolean> {
  return new Promise((resolve) => {
    const banner = h('div', { class: 'notice tone-bad', role: 'alert', hidden: true, tabindex: '-1', 'data-testid': spec.errorTestId });
    const submit = h('button', { type: 'submit', class: 'btn' }, spec.submitLabel);
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close('cancel') }, 'Cancel');
    const titleId = `${spec.idPrefix}-title`;
    const form = h(
      'form',
      { novalidate: true },
      h('h2', { id: titleId }, spec.title),
      h('p', { class: 'muted small' }, spec.intro),
      spec.fields,
      banner,
      h('div', { class: 'actions' }, cancel, submit),
    );
    const dlg = h('dialog', { 'aria-labelledby': titleId, class: spec.wide ? 'wide' : null }, form);
    let saved = false;
    const turn: DialogTurn = {
      form,
      say: (message) => {
        banner.replaceChildren(h('div', null, message));
        banner.hidden = false;
        banner.focus();
        return undefined;
      },
    };
    const unmark = (el: Element) => {
      el.removeAttribute('aria-invalid');
      const error = form.querySelector<HTMLElement>(`#${CSS.escape(el.id)}-error`);
      if (error) error.hidden = true;
    };

    form.addEventListener('input', (e) => {
      const el = e.target as HTMLElement;
      if (el.getAttribute('aria-invalid') === 'true') unmark(el);
    });
    form.addEventListener(
      'submit',
      unawaited(async (e: Event) => {
        e.preventDefault();
        form.querySelectorAll('[aria-invalid]').forEach(unmark);
        banner.hidden = true;
        const save = spec.check(new FormData(form), turn);
        if (!save) return;
        submit.disabled = true;
        if (spec.busyLabel) submit.textContent = spec.busyLabel;
        try {
          await save();
          saved = true;
          dlg.close('saved');
        } catch (err) {
          spec.refused(err, turn);
        } finally {
          submit.disabled = false;
          submit.textContent = spec.submitLabel;
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

/**
 * A labelled drop-down: a filter's (ids `flt-…`) or a dialog's (its own id prefix). `none` labels the empty
 * choice ("All" for a filter), or is null when one of the options is always chosen.
 */
export function select(
  name: string,
  label: string,
  options: Array<[string, string]> | Readonly<Record<string, string>>,
  value: string | null | undefined,
  { none = 'All', idPrefix = 'flt' }: { none?: string | null; idPrefix?: string } = {},
): HTMLElement {
  const id = `${idPrefix}-${name}`;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h(
      'select',
      { id, name },
      none === null ? null : h('option', { value: '', selected: !value }, none),
      (Array.isArray(options) ? options : Object.entries(options)).map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
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
  // On a phone a wide table scrolls inside its frame: the frame takes the keyboard focus so the
  // arrow keys can scroll it (WCAG 2.1.1); the table inside has its caption for a name.
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0' },
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
