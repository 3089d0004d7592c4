/**
 * What a student reads of their own registration: the status without what only staff see (docs/gateway.md,
 * The student's view). A review keeps its decision, its time and the words written for the student (a
 * rejection's note, a waiver's reason); it loses the reviewer's identity and the note of a verification, which
 * staff write for each other. Staff get the views as the workflow answers them.
 */
import type { ItemView, RegistrationStatusView, ReviewView } from '../../workflows/registration/types';
import type { Principal } from './auth/principal';

/** The decisions whose note the student is shown; the staff dialogs say so (src/portal/client/staff). */
const NOTE_FOR_STUDENT: ReadonlySet<ReviewView['decision']> = new Set(['REJECTED', 'WAIVED']);

function reviewForStudent({ actor: _reviewer, note, ...review }: ReviewView): Omit<ReviewView, 'actor'> {
  return note !== undefined && NOTE_FOR_STUDENT.has(review.decision) ? { ...review, note } : review;
}

const itemForStudent = <I extends ItemView>(item: I): I => ({ ...item, reviews: item.reviews.map(reviewForStudent) });

/** The item as `principal` may read it. */
export const itemFor = <I extends ItemView>(principal: Principal, item: I): I => (principal.kind === 'student' ? itemForStudent(item) : item);

/** The status as `principal` may read it. */
export const statusFor = <V extends RegistrationStatusView>(principal: Principal, view: V): V =>
  principal.kind === 'student' ? { ...view, items: view.items.map(itemForStudent) } : view;
