/**
 * What a student reads of their own registration: the status without what only staff see (docs/gateway.md,
 * The student's view). A review keeps its decision, its time and the words written for the student (a
 * rejection's note, a waiver's reason); it loses the reviewer's identity and the note of a verification, which
 * staff write for each other. A file says only whether the student or the registry added it, never which staff
 * member; an item loses its staff flag (the payment mismatch is written for staff; the student reads a part
 * payment from `partPaid`). The emails listed are the student's own, not the registry's alerts about them.
 * Staff get the views as the workflow answers them.
 */
import { REGISTRY_EMAILS } from '../../workflows/registration/emails';
import type { EmailRecord, ItemView, RegistrationStatusView, ReviewView } from '../../workflows/registration/types';
import type { Principal } from './auth/principal';

/** The decisions whose note the student is shown; the staff dialogs say so (src/portal/client/staff). */
const NOTE_FOR_STUDENT: ReadonlySet<ReviewView['decision']> = new Set(['REJECTED', 'WAIVED']);

function reviewForStudent({ actor: _reviewer, note, ...review }: ReviewView): Omit<ReviewView, 'actor'> {
  return note !== undefined && NOTE_FOR_STUDENT.has(review.decision) ? { ...review, note } : review;
}

/** The uploader as the student reads it: `student:<no>` is the student; anyone else is the registry's staff. */
const uploaderForStudent = <F extends { uploadedBy: string }>(file: F): F => ({
  ...file,
  uploadedBy: file.uploadedBy.startsWith('student:') ? 'student' : 'staff',
});

const itemForStudent = <I extends ItemView>({ flag: _forStaff, ...item }: I): I =>
  ({
    ...item,
    submissions: item.submissions.map(uploaderForStudent),
    draft: item.draft.map(uploaderForStudent),
    reviews: item.reviews.map(reviewForStudent),
  }) as I;

/** The item as `principal` may read it. */
export const itemFor = <I extends ItemView>(principal: Principal, item: I): I => (principal.kind === 'student' ? itemForStudent(item) : item);

/** The emails sent to the student; those to the registry (alerts, which may quote a database error) are staff's. */
const emailsForStudent = (emails: readonly EmailRecord[]): EmailRecord[] => emails.filter((e) => !REGISTRY_EMAILS.includes(e.kind));

/** The status as `principal` may read it. */
export const statusFor = <V extends RegistrationStatusView>(principal: Principal, view: V): V =>
  principal.kind === 'student' ? { ...view, items: view.items.map(itemForStudent), emails: emailsForStudent(view.emails) } : view;

/** A stored file's record as `principal` may read it. */
export const documentFor = <D extends { uploadedBy: string }>(principal: Principal, document: D): D =>
  principal.kind === 'student' ? uploaderForStudent(document) : document;
