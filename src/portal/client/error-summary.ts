/**
 * The error summary of a form (the GOV.UK Design System's pattern): a box at
 * the top headed "There is a problem" that lists every field in error, each a
 * link that moves the focus to its field; the box takes the focus when it
 * appears, and the page's title starts with "Error: " while it shows, so a
 * screen reader user hears at once that the form did not go through.
 */
import { h } from './dom';

export interface FieldError {
  /** The id of the control the link focuses (the first box of a date). */
  target: string;
  message: string;
}

const TITLE_PREFIX = 'Error: ';

interface ErrorSummary {
  readonly el: HTMLElement;
  /** Lists the errors (an empty list hides the box) and, with `focus`, moves the focus to the box. */
  show(errors: FieldError[], focus?: boolean): void;
  clear(): void;
}

export function errorSummary(id: string): ErrorSummary {
  const list = h('ul', { class: 'error-summary-list' });
  const el = h(
    'div',
    { class: 'error-summary', id, tabindex: '-1', hidden: true, 'aria-labelledby': `${id}-title` },
    h('div', { role: 'alert' }, h('h2', { class: 'error-summary-title', id: `${id}-title` }, 'There is a problem'), list),
  );
  list.addEventListener('click', (e) => {
    const link = (e.target as HTMLElement).closest('a');
    const target = link ? document.getElementById(link.getAttribute('href')!.slice(1)) : null;
    if (!target) return;
    // Focus the field itself and bring its question into view: the browser's own jump would hide the label above it.
    e.preventDefault();
    const question = target.closest('fieldset.date-input')?.querySelector('legend') ?? document.querySelector(`label[for="${CSS.escape(target.id)}"]`);
    (question ?? target).scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  });
  const setTitle = (error: boolean) => {
    const plain = document.title.startsWith(TITLE_PREFIX) ? document.title.slice(TITLE_PREFIX.length) : document.title;
    document.title = error ? TITLE_PREFIX + plain : plain;
  };
  return {
    el,
    show(errors, focus = true) {
      list.replaceChildren(...errors.map((e) => h('li', null, h('a', { href: `#${e.target}` }, e.message))));
      el.hidden = errors.length === 0;
      setTitle(errors.length > 0);
      if (errors.length && focus) {
        el.scrollIntoView({ block: 'start' });
        el.focus({ preventScroll: true });
      }
    },
    clear() {
      list.replaceChildren();
      el.hidden = true;
      setTitle(false);
    },
  };
}
