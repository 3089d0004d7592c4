/**
 * The registration state machine without Temporal: what each change puts in
 * history stays bounded, and continue-as-new carries the state across runs.
 */
import assert from 'node:assert/strict';
import { setHolidays, carry, resumeRegistration } from '../../workflows/registration/state';
import { activateAccount } from '../../workflows/registration/event-actions';
import { submitForm, registerDocument } from '../../workflows/registration/student-actions';
import { rejectItem } from '../../workflows/registration/review-actions';
import { extendDeadline, correctForm } from '../../workflows/registration/staff-actions';
import { advance, nextWakeUp } from '../../workflows/registration/time-actions';
import { takeEmails, emailSent } from '../../workflows/registration/email-decisions';
import { statusView, takeSnapshot } from '../../workflows/registration/views';
import type { RegistrationRecord } from '../../workflows/registration/records';
import { DEADLINE, T0, registration, student, uploadAgain } from './state-support';
import { DAY, HOUR, STAFF, upload } from './support';
import { validForm } from '../kit/samples';

describe('registration state: bounded history', () => {
  describe('bounded history per change', () => {
    it('a snapshot carries only what is new (the whole status only while it is within bounds), and an update answer only the latest of each item: their size does not grow with the history', () => {
      const r = registration();
      setHolidays(r, []);
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        uploadAgain(r, 'PHOTO', T0 + i * HOUR);
        const snap = takeSnapshot(r);
        assert.deepEqual(
          snap.submissions.map((s) => s.version),
          [i + 1],
        );
        // The first upload leaves the status within the bounds of an update's answer (one submission per item): the
        // snapshot carries it whole, for the read model's status page. From the second, past them, the rows' view only.
        assert.equal('submissions' in snap.view.items[0]!, i === 0);
        assert.equal('emails' in snap.view, i === 0);
        sizes.push(JSON.stringify(snap).length);
      }
      // The 10th upload's snapshot is no bigger than the 2nd's (the old full status grew by one submission each time).
      assert.ok(sizes[9]! <= sizes[1]! + 16, `snapshot sizes ${sizes.join(', ')}`);
      const answer = extendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + DAY).toISOString(), reason: 'x' }, T0 + DAY);
      const photo = answer.items.find((i) => i.key === 'PHOTO')!;
      assert.deepEqual(
        photo.submissions.map((s) => s.version),
        [10],
      );
      assert.equal(statusView(r).items.find((i) => i.key === 'PHOTO')!.submissions.length, 10, 'the query still has them all');
    });

    it('a form correction answers with the bounded status too (each answer goes into history and the latest are carried)', () => {
      const r = registration();
      setHolidays(r, []);
      submitForm(r, { actor: 'student', form: validForm }, T0);
      for (let i = 0; i < 4; i++) uploadAgain(r, 'PHOTO', T0 + i * HOUR);
      const answer = correctForm(r, { actor: STAFF, changes: { phone: '+852 5555 1234' }, reason: 'student called' }, T0 + DAY);
      assert.deepEqual(
        answer.items.find((i) => i.key === 'PHOTO')!.submissions.map((s) => s.version),
        [4],
      );
      assert.equal(answer.form?.phone, '+852 5555 1234');
    });
  });

  describe('continue-as-new', () => {
    it('carry → resume gives the same state: view, seq, deadlines, emails decided, and the next email key continues', () => {
      const r = registration(student({ residency: 'NON_LOCAL' }));
      setHolidays(r, []);
      activateAccount(r, { actor: 'system:idp', universityEmail: 'a@connect.ust.hk' }, T0);
      registerDocument(r, upload('VISA'), T0 + HOUR);
      rejectItem(r, { actor: STAFF, itemKey: 'VISA', reasonCode: 'EXPIRED', note: 'expired' }, T0 + 2 * HOUR);
      extendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 7 * DAY).toISOString(), reason: 'x' }, T0 + 3 * HOUR);
      takeSnapshot(r);
      const carried = JSON.parse(JSON.stringify(carry(r)));
      const next = resumeRegistration({ student: r.input.student, policy: r.input.policy }, carried, T0 + 4 * HOUR);
      const json = (v: unknown) => JSON.parse(JSON.stringify(v)); // as the status travels (undefined fields dropped)
      assert.deepEqual(json(statusView(next)), json(statusView(r)));
      assert.equal(next.seq, r.seq);
      assert.deepEqual(
        takeEmails(next).map((e) => e.idempotencyKey),
        ['registration-A100:REJECTION:1', 'registration-A100:DEADLINE_EXTENDED:1'],
      );
      assert.deepEqual(nextWakeUp(next, T0 + 4 * HOUR), nextWakeUp(r, T0 + 4 * HOUR));
      // The deadline carried is the extended one: nothing happens at the old date, withdrawal at the new one.
      advance(next, DEADLINE + HOUR);
      assert.equal(next.status, 'IN_PROGRESS');
      advance(next, DEADLINE + 7 * DAY);
      assert.equal(next.status, 'WITHDRAWN');
      assert.deepEqual(
        takeEmails(next)
          .map((e) => e.idempotencyKey)
          .filter((k) => k.includes('WITHDRAWAL')),
        ['registration-A100:WITHDRAWAL:1'],
      );
    });

    /** `n` extensions of a minute each, every extension email sent, then the carried state as JSON. */
    function extendedAndCarried(n: number): { r: RegistrationRecord; carried: string } {
      const r = registration();
      for (let i = 1; i <= n; i++) {
        const now = T0 + i * 1000;
        extendDeadline(r, { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + i * 60_000).toISOString(), reason: `extension ${i}` }, now);
        for (const e of takeEmails(r)) emailSent(r, e, { delivery: 'OUTBOX', to: e.to, subject: 'Your registration deadline was extended' }, now);
        takeSnapshot(r);
      }
      return { r, carried: JSON.stringify(carry(r)) };
    }

    it('what a continued run carries does not grow with the number of extensions and emails', () => {
      const small = extendedAndCarried(60);
      const large = extendedAndCarried(1000);
      // Same bounded lists, only the counters' digits differ (the old state carried ~950 bytes more per extension).
      assert.ok(
        large.carried.length <= small.carried.length + 64,
        `carried ${small.carried.length} bytes after 60 extensions, ${large.carried.length} after 1,000`,
      );
      const v = statusView(large.r);
      assert.equal(v.deadlineChanges.length, 10);
      assert.equal(v.deadlineChangesOmitted, 990);
      assert.equal(v.deadlineChanges[0]!.until, new Date(DEADLINE + 991 * 60_000).toISOString());
      assert.equal(v.deadlineChanges[9]!.until, new Date(DEADLINE + 1000 * 60_000).toISOString());
      assert.equal(v.emails.length, 50);
      assert.equal(v.emailsOmitted, 950);
      assert.equal(v.emails[49]!.idempotencyKey, 'registration-A100:DEADLINE_EXTENDED:1000');
      // An update's answer (history) is bounded the same way.
      const answer = extendDeadline(
        large.r,
        { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 1001 * 60_000).toISOString(), reason: 'one more' },
        T0 + 1001 * 1000,
      );
      assert.equal(answer.deadlineChanges.length, 10);
    });

    it('after a continuation with records dropped, the next email of a kind gets the next key: none repeated, none skipped', () => {
      const { r, carried } = extendedAndCarried(60);
      const next = resumeRegistration({ student: r.input.student, policy: r.input.policy }, JSON.parse(carried), T0 + HOUR);
      assert.deepEqual([statusView(next).deadlineChangesOmitted, statusView(next).emailsOmitted], [50, 10]);
      extendDeadline(
        next,
        { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + 61 * 60_000).toISOString(), reason: 'after continuing' },
        T0 + HOUR,
      );
      assert.deepEqual(
        takeEmails(next).map((e) => e.idempotencyKey),
        ['registration-A100:DEADLINE_EXTENDED:61'],
      );
      advance(next, DEADLINE + 61 * 60_000);
      assert.deepEqual(
        takeEmails(next).map((e) => e.idempotencyKey),
        ['registration-A100:WITHDRAWAL:1'],
      );
    });

    it('reminders sent for an earlier date are forgotten when the deadline moves (the list does not grow with extensions)', () => {
      const MIN = 60_000;
      const r = registration();
      advance(r, DEADLINE - 7 * DAY);
      // Each one-minute extension re-arms the 7-day reminder, which falls due a minute later.
      for (let i = 1; i <= 30; i++) {
        extendDeadline(
          r,
          { actor: STAFF, deadline: 'REGISTRATION', until: new Date(DEADLINE + i * MIN).toISOString(), reason: `extension ${i}` },
          DEADLINE - 7 * DAY + (i - 1) * MIN + 1,
        );
        advance(r, DEADLINE - 7 * DAY + i * MIN);
      }
      assert.equal(takeEmails(r).filter((e) => e.message.kind === 'REMINDER').length, 31);
      const carried = carry(r) as { deadlines: { REGISTRATION: { reminded: string[] } } };
      assert.deepEqual(carried.deadlines.REGISTRATION.reminded, [`${DEADLINE + 30 * MIN}/${7 * DAY}`]);
    });
  });
});
