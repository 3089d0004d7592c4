/**
 * The review queue's *Review next* button: asks the gateway for the oldest
 * submitted item no other reviewer holds (POST /api/review/next, with the
 * queue's filters), then opens it. The gateway holds the item for this
 * reviewer for a few minutes; pressing again hands it back and takes the next.
 */
import type { ClaimedItem } from '../../../gateway/review-claims';
import { request } from '../api';
import { busy, fmtTime, h, toast, unawaited } from '../dom';

/** The queue's filters that Review next honours. */
const FILTERS = ['cohortId', 'programCode', 'studyLevel', 'kind'] as const;

export function reviewNextButton(staffKey: string, navigate: (to: string) => void): HTMLButtonElement {
  const button = h('button', { class: 'btn', type: 'button', 'data-action': 'review-next' }, 'Review next');
  button.addEventListener(
    'click',
    unawaited(() =>
      busy(button, 'Finding the next item…', async () => {
        const q = new URLSearchParams(location.search);
        const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) || undefined]).filter(([, v]) => v));
        try {
          const { item } = await request<{ item: ClaimedItem | null }>('/api/review/next', { bearer: staffKey, json: filters });
          if (!item) return toast('Nothing left to review here: every submitted item is reviewed or being reviewed by someone else.');
          toast(`${item.label} of ${item.name} is yours to review until ${fmtTime(item.claimedUntil)}.`);
          navigate(`/staff/registrations/${encodeURIComponent(item.applicationNo)}#review-${item.itemKey}`);
        } catch (e) {
          toast(e instanceof Error ? e.message : String(e), 'bad');
        }
      }),
    ),
  );
  return button;
}
