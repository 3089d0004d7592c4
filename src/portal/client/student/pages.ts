/**
 * The pages of an item's next submission (docs/domain.md, "Files and pages"):
 * each page added so far with a Remove button, and "Send for review", which
 * hands them to the Academic Registry as one submission. Until then nothing
 * counts as handed in; afterwards the pages stay as they are until the
 * registry decides.
 */
import { pageLimit } from '../../../../workflows/registration/policy';
import type { ItemView } from '../../../../workflows/registration/types';
import { ApiError, studentApi } from '../api';
import { fmtBytes, h, unawaited } from '../dom';
import { announce, refresh, student } from './session';

/**
 * What the redrawn panel of an item says after its pages changed under a send (another tab added or took one out):
 * set while the status is read again, so the panel drawn from it tells the student why their pages look different.
 */
const changedUnderSend = new Map<string, string>();

export function pagesPanel(applicationNo: string, item: ItemView, done: () => void): HTMLElement | null {
  if (!item.draft.length) return null;
  const limit = pageLimit(item.kind);
  const titleId = `pages-${item.key.replace(/[^A-Za-z0-9]/g, '-')}`;
  const error = h('div', { class: 'notice tone-bad', role: 'alert', hidden: true });
  const fail = (what: string, err: unknown) => {
    error.replaceChildren(
      h(
        'div',
        null,
        h('strong', null, what),
        h('p', null, err instanceof Error ? err.message : String(err)),
        err instanceof ApiError && err.requestId ? h('p', { class: 'small muted' }, `Reference: ${err.requestId}`) : null,
      ),
    );
    error.hidden = false;
  };
  const changed = changedUnderSend.get(item.key);
  if (changed) fail('Nothing was sent to the Academic Registry.', new Error(changed));
  const buttons: HTMLButtonElement[] = [];
  const busy = (on: boolean) => buttons.forEach((b) => (b.disabled = on));

  const rows = item.draft.map((p, i) => {
    const remove = h('button', { class: 'btn btn-link', type: 'button', 'aria-label': `Remove page ${i + 1}, ${p.originalName}` }, 'Remove');
    buttons.push(remove);
    remove.addEventListener(
      'click',
      unawaited(async () => {
        busy(true);
        student.focusCard = item.key; // set first: the event stream's refresh may redraw the card before this one
        try {
          await studentApi.removePage(applicationNo, item.key, p.page ?? 1);
          announce(`${item.label}: page ${i + 1} removed.`);
          done();
        } catch (err) {
          busy(false);
          student.focusCard = undefined;
          fail('The page was not removed.', err);
        }
      }),
    );
    return h(
      'li',
      { 'data-page': String(p.page ?? 1) },
      h(
        'span',
        { class: 'name' },
        `Page ${i + 1}: `,
        p.documentId ? h('a', { href: studentApi.documentUrl(applicationNo, p.documentId), download: p.originalName }, p.originalName) : p.originalName,
      ),
      h('span', { class: 'muted' }, fmtBytes(p.size)),
      remove,
    );
  });

  const send = h(
    'button',
    { class: 'btn', type: 'button', 'data-send': '' },
    item.draft.length === 1 ? 'Send this page for review' : `Send these ${item.draft.length} pages for review`,
  );
  buttons.push(send);
  send.addEventListener(
    'click',
    unawaited(async () => {
      busy(true);
      send.textContent = 'Sending…';
      // The card is redrawn as under review and takes the focus (set first: the event stream's refresh may come first).
      student.focusCard = item.key;
      try {
        await studentApi.sendForReview(applicationNo, item.key, item.draft);
        done();
      } catch (err) {
        busy(false);
        send.textContent = 'Try again';
        fail('Nothing was sent to the Academic Registry.', err);
        if (err instanceof ApiError && err.code === 'PAGES_CHANGED') {
          // The pages this card shows are not the item's any more: draw the ones it has, saying why they differ.
          const why = 'The pages changed in another tab or window since this page showed them. Check the pages below, then send them.';
          announce(`${item.label}: nothing was sent. ${why}`);
          changedUnderSend.set(item.key, why);
          await refresh().finally(() => changedUnderSend.delete(item.key));
        } else student.focusCard = undefined;
      }
    }),
  );

  return h(
    'section',
    { class: 'pages', 'data-pages': item.key, 'aria-labelledby': titleId },
    h('h4', { id: titleId }, `Ready to send: ${item.draft.length} of at most ${limit} page${limit === 1 ? '' : 's'}`),
    h('ul', { class: 'files' }, rows),
    h(
      'p',
      { class: 'small muted' },
      item.kind === 'PHOTO'
        ? 'Check the photo, then send it. Once sent, it cannot be changed until the Academic Registry decides.'
        : 'Add every page of the document (front and back, every page of a passport) before you send. Once sent, the pages cannot be changed until the Academic Registry decides.',
    ),
    error,
    h('div', { class: 'actions' }, send),
  );
}
