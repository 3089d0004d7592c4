/**
 * The registration state machine without Temporal: the queue of decided emails
 * not yet confirmed sent, carried small, with an extension told once.
 */
import assert from 'node:assert/strict';
import { defaultCohortPolicy } from '../../workflows/registration/api';
import { invite, carry, startRegistration, resumeRegistration } from '../../workflows/registration/state';
import { activateAccount, requestSignInLink } from '../../workflows/registration/event-actions';
import { registerDocument } from '../../workflows/registration/student-actions';
import { rejectItem } from '../../workflows/registration/review-actions';
import { extendDeadline } from '../../workflows/registration/staff-actions';
import { handOverEmail, takeEmails, emailSent } from '../../workflows/registration/email-decisions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { DEADLINE, T0, registration, student } from './state-support';
import { DAY, HOUR, STAFF, upload } from './support';

describe('registration state: the email queue', () => {
  describe('the email queue (decided, not yet confirmed): carried small, extensions told once', () => {
    const MIN = 60_000;
    const at = (ms: number) => new Date(ms).toISOString();
    const extendTo = (r: RegistrationRecord, until: number, now: number) =>
      extendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: at(until), reason: `to ${at(until)}` }, now);
    const sent = (e: { to: string[] }) => ({ delivery: 'OUTBOX' as const, to: e.to, subject: 's' });

    it('988 extensions while the invitation is being sent: one extension email (first date → latest), and the carried state does not grow', () => {
      const r = startRegistration({ student: student(), policy: defaultCohortPolicy(at(DEADLINE)) }, T0);
      invite(r);
      const invitation = handOverEmail(r)!;
      assert.equal(invitation.idempotencyKey, 'registration-A100:INVITATION:1');
      let after10 = 0;
      for (let i = 1; i <= 988; i++) {
        extendTo(r, DEADLINE + i * MIN, T0 + i * 1000);
        takeSnapshot(r);
        if (i === 10) after10 = JSON.stringify(carry(r)).length;
      }
      const after988 = JSON.stringify(carry(r)).length;
      // Only digits differ (reasons and counters); the old queue carried every email with its context, ~2 KB each.
      assert.ok(after988 <= after10 + 64, `carried ${after10} bytes after 10 extensions, ${after988} after 988`);
      assert.ok(after988 < 16 * 1024, `carried ${after988} bytes`);
      emailSent(r, invitation, sent(invitation), T0 + 989 * 1000);
      const queued = takeEmails(r);
      assert.deepEqual(
        queued.map((e) => [e.idempotencyKey, e.to, e.message]),
        [
          [
            'registration-A100:DEADLINE_EXTENDED:1',
            ['a100@example.com'],
            { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE), until: at(DEADLINE + 988 * MIN) },
          ],
        ],
      );
      // The context is rendered when the email goes out: the deadline as it is then.
      assert.equal(queued[0]!.context.deadlines.registration, at(DEADLINE + 988 * MIN));
      // Every extension is still recorded (audit trail) and listed as before; only the emails are folded.
      const v = statusView(r);
      assert.equal(v.seq, 1 + 988 + 1);
      assert.equal(v.deadlineChangesOmitted, 978);
    });

    it('an email handed over is never changed: a later extension gets its own email, from the date the first one told, and a continued run sends the first again under its key', () => {
      const r = registration();
      extendTo(r, DEADLINE + DAY, T0 + HOUR);
      const first = handOverEmail(r)!;
      assert.deepEqual(
        [first.idempotencyKey, first.message],
        ['registration-A100:DEADLINE_EXTENDED:1', { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE), until: at(DEADLINE + DAY) }],
      );
      extendTo(r, DEADLINE + 2 * DAY, T0 + 2 * HOUR);
      extendTo(r, DEADLINE + 3 * DAY, T0 + 3 * HOUR);
      // Continue-as-new with the first still in flight.
      const next = resumeRegistration({ student: r.input.student, policy: r.input.policy }, JSON.parse(JSON.stringify(carry(r))), T0 + 4 * HOUR);
      const again = handOverEmail(next)!;
      assert.deepEqual([again.idempotencyKey, again.message], [first.idempotencyKey, first.message]);
      extendTo(next, DEADLINE + 4 * DAY, T0 + 5 * HOUR);
      emailSent(next, again, sent(again), T0 + 6 * HOUR);
      assert.deepEqual(
        takeEmails(next).map((e) => [e.idempotencyKey, e.message]),
        [
          [
            'registration-A100:DEADLINE_EXTENDED:2',
            { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: at(DEADLINE + DAY), until: at(DEADLINE + 4 * DAY) },
          ],
        ],
      );
      // After the folded email, the next extension is an email of its own again.
      extendTo(next, DEADLINE + 5 * DAY, T0 + 7 * HOUR);
      assert.deepEqual(
        takeEmails(next).map((e) => e.idempotencyKey),
        ['registration-A100:DEADLINE_EXTENDED:3'],
      );
    });

    it('a folded extension email goes out after what was decided in between, to the addresses known by then; other emails are never folded', () => {
      const r = registration();
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      extendTo(r, DEADLINE + DAY, T0 + HOUR);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + 2 * HOUR);
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0 + 3 * HOUR);
      extendTo(r, DEADLINE + 2 * DAY, T0 + 4 * HOUR);
      requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-1' }, T0 + 5 * HOUR);
      requestSignInLink(r, { actor: 'system:gateway', requestId: 'req-2' }, T0 + 5 * HOUR);
      assert.deepEqual(
        takeEmails(r).map((e) => [e.idempotencyKey, e.to.join(',')]),
        [
          ['registration-A100:REJECTION:1', 'a100@example.com'],
          ['registration-A100:DEADLINE_EXTENDED:1', 'a100@example.com,a100@connect.ust.hk'],
          ['registration-A100:SIGN_IN_LINK:1', 'a100@example.com'],
          ['registration-A100:SIGN_IN_LINK:2', 'a100@example.com'],
        ],
      );
    });

    it('an email is rendered with the registration as it is when it goes out, not when it was decided', () => {
      const r = registration();
      registerDocument(r, upload('ID_DOCUMENT'), T0);
      rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'blurred' }, T0 + HOUR);
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, T0 + 2 * HOUR);
      registerDocument(r, upload('ID_DOCUMENT'), T0 + 3 * HOUR);
      const [rejection] = takeEmails(r);
      assert.equal(rejection!.context.universityEmail, 'a100@connect.ust.hk');
      assert.equal(rejection!.context.items.find((i) => i.key === 'ID_DOCUMENT')!.state, 'SUBMITTED');
      // The decision's own facts stay as decided.
      assert.deepEqual(rejection!.message, {
        kind: 'REJECTION',
        item: { key: 'ID_DOCUMENT', label: 'Identification document(s)' },
        reasonCode: 'UNREADABLE',
        note: 'blurred',
        resubmitBy: at(DEADLINE),
      });
    });
  });
});
