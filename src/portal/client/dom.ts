/**
 * A tiny element builder and the formatting every page shares. Text always
 * goes in as text nodes (never innerHTML), so nothing a student or a CSV file
 * typed can become markup.
 */
import { hongKongDateTime, hongKongFormat, middayInHongKong } from '../../hong-kong-time';

export type Child = Node | string | number | null | undefined | false | Child[];
/** An `on…` attribute's listener, whatever event it takes (`never`: any one-argument function fits). */
type Listener = (e: never) => void;
type AttrValue = string | number | boolean | null | undefined | Listener;
export type Attrs = Record<string, AttrValue>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value as EventListener);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function mount(target: Element, ...children: Child[]): void {
  target.replaceChildren();
  append(target, children);
}

export const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T | null;

/** Values the server put in the page (see src/portal/pages.ts). */
export function bootData<T>(): T {
  const el = document.getElementById('portal-boot');
  return JSON.parse(el?.textContent || '{}') as T;
}

// ---------------------------------------------------------------------------
// Formatting. Dates are shown in Hong Kong time, where the deadlines are set.
// ---------------------------------------------------------------------------

const dateFmt = hongKongFormat({ weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const shortFmt = hongKongFormat({ day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
const timeFmt = hongKongFormat({ hour: '2-digit', minute: '2-digit' });

export const fmtDate = (iso: string | undefined) => (iso ? dateFmt.format(new Date(iso.length === 10 ? middayInHongKong(iso) : iso)) : '');
export const fmtDateTime = (iso: string | undefined) => (iso ? hongKongDateTime(iso) : '');
export const fmtShort = (iso: string | undefined) => (iso ? shortFmt.format(new Date(iso)) : '');
/** "1 May 2009": a calendar date such as a birthday, without the weekday a deadline has. */
const calendarFmt = hongKongFormat({ day: 'numeric', month: 'long', year: 'numeric' });
export const fmtCalendarDate = (ymd: string) => (/^\d{4}-\d{2}-\d{2}$/.test(ymd) ? calendarFmt.format(new Date(middayInHongKong(ymd))) : ymd);
/** Today's date in Hong Kong, YYYY-MM-DD. */
const ymdFmt = hongKongFormat({ year: 'numeric', month: '2-digit', day: '2-digit' });
export function todayInHongKong(now = new Date()): string {
  const part = (type: string) => ymdFmt.formatToParts(now).find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}
/** "14:05": the time of day in Hong Kong. */
export const fmtTime = (iso: string) => timeFmt.format(new Date(iso));

/** "in 3 days", "in 5 hours", "2 days ago". */
export function fmtRelative(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const [n, unit] =
    abs >= 86_400_000
      ? [Math.round(abs / 86_400_000), 'day']
      : abs >= 3_600_000
        ? [Math.round(abs / 3_600_000), 'hour']
        : [Math.max(1, Math.round(abs / 60_000)), 'minute'];
  const phrase = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${phrase}` : `${phrase} ago`;
}

const amountFmt = new Intl.NumberFormat('en-HK', { maximumFractionDigits: 2 });
/** "42,100 HKD": an amount of money as the emails write it. */
export const fmtMoney = (amount: number, currency: string) => `${amountFmt.format(amount)} ${currency}`;

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// ---------------------------------------------------------------------------
// Feedback
// ---------------------------------------------------------------------------

/** A short message in the corner, also read out by screen readers. */
export function toast(message: string, tone: 'info' | 'bad' = 'info'): void {
  let region = byId('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toast-region', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const el = h('div', { class: `toast ${tone === 'bad' ? 'bad' : ''}` }, message);
  region.append(el);
  setTimeout(() => el.remove(), 6000);
}

/**
 * An async handler for an event listener or a timer, which wait for nothing: a failure the handler does not catch
 * itself is shown as a toast, instead of ending as an unhandled rejection the person at the page never sees.
 */
export function unawaited<A extends unknown[]>(handler: (...args: A) => Promise<unknown>): (...args: A) => void {
  return (...args) => {
    handler(...args).catch((e: unknown) => toast(e instanceof Error ? e.message : String(e), 'bad'));
  };
}

/** Disables a button while `work` runs, so a double click cannot send twice. */
export async function busy<T>(button: HTMLButtonElement | null, label: string, work: () => Promise<T>): Promise<T> {
  const before = button?.textContent ?? '';
  if (button) {
    button.disabled = true;
    button.textContent = label;
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.textContent = before;
    }
  }
}

/** A modal dialog built from `content`; resolves with the submitted form's data, or null when cancelled. */
export function dialog(title: string, content: Child[], submitLabel: string, tone: 'primary' | 'danger' | 'ok' = 'primary'): Promise<FormData | null> {
  return new Promise((resolve) => {
    const submit = h('button', { type: 'submit', class: `btn ${tone === 'danger' ? 'btn-danger' : tone === 'ok' ? 'btn-ok' : ''}` }, submitLabel);
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dlg.close('cancel') }, 'Cancel');
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const form = h('form', { method: 'dialog' }, h('h2', { id: titleId }, title), content, h('div', { class: 'actions' }, cancel, submit));
    const dlg = h('dialog', { 'aria-labelledby': titleId }, form);
    let data: FormData | null = null;
    form.addEventListener('submit', () => {
      data = new FormData(form);
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'cancel' ? null : data);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}
