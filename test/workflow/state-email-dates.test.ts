/**
 * No email to a student ever names a date that has passed when it is sent
 * (docs/domain.md, *Emails*). Every path of the state machine below is run,
 * and every email it decides is rendered at the moment it is handed over (the
 * moment the workflow sends it) and read for dates ("Wed, 23 Dec 2026, 23:59
 * HKT"): each must be still ahead. The registry's own emails (a service level
 * missed, a late event) report past facts on purpose and are not student
 * emails. The dates are hand-picked: the registration deadline Wed 23 Dec 2026
 * 23:59 HKT, a payment deadline Wed 16 Dec 23:59 HKT where a path has one.
 */
import assert from 'node:assert/strict';
import { AUDIENCE, renderEmail } from '../../activities/email/templates';
import { defaultCohortPolicy, type CohortPolicy, type StudentRecord } from '../../workflows/registration/api';
import { handOverEmail, emailSent } from '../../workflows/registration/email-decisions';
import { activateAccount, confirmPayment, requestSignInLink } from '../../workflows/registration/event-actions';
import type { RegistrationRecord } from '../../workflows/registration/records';
import type { EmailKind } from '../../workflows/registration/types';
import { rejectItem, verifyItem } from '../../workflows/registration/review-actions';
import { invite, setHolidays, startRegistration } from '../../workflows/registration/state';
import { reclassify } from '../../workflows/registration/reclassification';
import { extendDeadline } from '../../workflows/registration/staff-actions';
import { declineOffer, registerDocument, submitForm } from '../../workflows/registration/student-actions';
import { advance } from '../../workflows/registration/time-actions';
import { student as aStudent } from './state-support';
import { validForm } from '../kit/samples';
import { DAY, HOUR, STAFF, upload } from './support';

const STARTED = Date.parse('2026-11-20T02:00:00Z');
const DEADLINE = Date.parse('2026-12-23T15:59:00Z');
const PAYMENT_DEADLINE = Date.parse('2026-12-16T15:59:00Z');
const FEE = { amount: 42100, currency: 'HKD' };
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Sept: 8, Oct: 9, Nov: 10, Dec: 11 };
const links = { activationUrl: 'https://idp.example/activate?token=T', registrationUrl: 'https://reg.example/invite?token=T' };

/** Every "Wed, 23 Dec 2026, 23:59 HKT" in a text, as the instant its minute ends. */
function datesIn(text: string): { text: string; endsAt: number }[] {
  return [...text.matchAll(/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) ([A-Z][a-z]{2,3}) (\d{4}), (\d{2}):(\d{2}) HKT/g)].map((m) => ({
    text: m[0],
    endsAt: Date.UTC(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), Number(m[4]) - 8, Number(m[5])) + 60_000,
  }));
}

interface Path {
  name: string;
  student?: Partial<StudentRecord>;
  policy?: Partial<CohortPolicy>;
  /** Steps at increasing times; the emails each decides are sent right after it. */
  steps: [number, (r: RegistrationRecord, at: number) => void][];
  /** Emails the path is there for: each must be among those sent (so many times), or the path proves nothing. */
  emails?: Partial<Record<EmailKind, number>>;
}

const ug = { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'LOCAL' } as const;
const everything = (r: RegistrationRecord, at: number) => {
  activateAccount(r, { actor: 'system:idp', universityEmail: 'a100@connect.ust.hk' }, at);
  submitForm(r, { actor: 'student', form: validForm }, at);
  registerDocument(r, upload('ID_DOCUMENT'), at);
};
const tick = (r: RegistrationRecord, at: number) => advance(r, at);
/** Every day from the start to 40 days after the deadline, so reminders, deadlines, windows and grace periods all pass. */
const days = Array.from({ length: 75 }, (_, i) => [STARTED + i * DAY + HOUR, tick] as [number, typeof tick]);

const PATHS: Path[] = [
  { name: 'nothing done: reminders, withdrawal', steps: days },
  {
    name: 'completed on time',
    steps: [
      [STARTED + DAY, everything],
      [
        STARTED + 2 * DAY,
        (r, at) => {
          verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, at);
          registerDocument(r, upload('PHOTO'), at);
          verifyItem(r, { actor: STAFF, itemKey: 'PHOTO' }, at);
        },
      ],
      ...days,
    ],
  },
  {
    name: 'incomplete, then completed',
    steps: [
      [STARTED + DAY, everything],
      ...days.slice(0, 40),
      [
        DEADLINE + 5 * DAY,
        (r, at) => {
          verifyItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT' }, at);
          registerDocument(r, upload('PHOTO'), at);
          verifyItem(r, { actor: STAFF, itemKey: 'PHOTO' }, at);
        },
      ],
    ],
  },
  {
    name: 'rejected before the deadline, resubmitted',
    steps: [
      [STARTED + DAY, everything],
      [DEADLINE - 3 * DAY, (r, at) => rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, at)],
      [DEADLINE - 2 * DAY, (r, at) => registerDocument(r, upload('ID_DOCUMENT'), at)],
      ...days,
    ],
  },
  {
    name: 'rejected after the deadline, the replacement held by the registry past the window, rejected again',
    steps: [
      [STARTED + DAY, everything],
      ...days.slice(0, 34),
      [DEADLINE + DAY, (r, at) => rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'EXPIRED', note: 'x' }, at)],
      [DEADLINE + 13 * DAY, (r, at) => registerDocument(r, upload('ID_DOCUMENT'), at)],
      [DEADLINE + 15 * DAY, tick],
      [DEADLINE + 17 * DAY, (r, at) => rejectItem(r, { actor: STAFF, itemKey: 'ID_DOCUMENT', reasonCode: 'UNREADABLE', note: 'y' }, at)],
      ...days.slice(51),
    ],
  },
  {
    name: 'the registration deadline extended after the payment deadline passed',
    student: ug,
    policy: { tuitionFee: FEE, paymentDeadline: new Date(PAYMENT_DEADLINE).toISOString() },
    steps: [
      [
        STARTED + DAY,
        (r, at) => {
          everything(r, at);
          confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', ...FEE, paidAt: new Date(at).toISOString() }, at);
        },
      ],
      ...days.slice(0, 30),
      [
        DEADLINE - 2 * DAY,
        (r, at) => extendDeadline(r, { actor: 'staff:admin', deadline: 'REGISTRATION', until: new Date(DEADLINE + 7 * DAY).toISOString(), reason: 'x' }, at),
      ],
      ...days.slice(30),
    ],
  },
  {
    name: 'an underpayment before the deadline, the fee decided after the grace period',
    student: ug,
    policy: { tuitionFee: FEE },
    steps: [
      [STARTED + DAY, everything],
      [
        DEADLINE - 5 * DAY,
        (r, at) => confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', amount: 40000, currency: 'HKD', paidAt: new Date(at).toISOString() }, at),
      ],
      ...days,
    ],
  },
  {
    name: 'an underpayment made by the deadline, confirmed in the grace period',
    student: ug,
    policy: { tuitionFee: FEE },
    steps: [
      [STARTED + DAY, everything],
      ...days.slice(0, 34),
      [
        DEADLINE + DAY,
        (r, at) =>
          confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', amount: 40000, currency: 'HKD', paidAt: new Date(DEADLINE - HOUR).toISOString() }, at),
      ],
      ...days.slice(35),
    ],
  },
  {
    name: 'a payment made after the deadline (a late event), then withdrawn',
    student: ug,
    policy: { tuitionFee: FEE },
    steps: [
      [STARTED + DAY, everything],
      ...days.slice(0, 34),
      [DEADLINE + DAY, (r, at) => confirmPayment(r, { actor: 'system:payment', paymentRef: 'P1', ...FEE, paidAt: new Date(at - HOUR).toISOString() }, at)],
      ...days.slice(35),
    ],
  },
  {
    name: 'reclassified: the fee and its payment deadline newly owed, the visa no longer; reclassified again after the payment deadline',
    student: { studyLevel: 'UG', admissionRoute: 'NON_JUPAS', residency: 'NON_LOCAL' },
    policy: { tuitionFee: FEE, paymentDeadline: new Date(PAYMENT_DEADLINE).toISOString() },
    steps: [
      [STARTED + DAY, everything],
      [STARTED + 2 * DAY, (r, at) => reclassify(r, { actor: STAFF, changes: { residency: 'LOCAL' }, reason: 'permanent resident' }, at)],
      ...days.slice(2, 28),
      [PAYMENT_DEADLINE + DAY, (r, at) => reclassify(r, { actor: STAFF, changes: { residency: 'NON_LOCAL' }, reason: 'the HKID card was a visitor card' }, at)],
      ...days.slice(29),
    ],
    emails: { CHECKLIST_CHANGED: 2 },
  },
  {
    name: 'a sign-in link, then declined',
    steps: [
      [STARTED + DAY, (r, at) => requestSignInLink(r, { actor: 'gateway', requestId: 'q1' }, at)],
      [STARTED + 3 * DAY, (r, at) => declineOffer(r, { actor: 'student' }, at)],
    ],
  },
];

describe('no email names a date that has passed when it is sent (every email of every path)', () => {
  for (const path of PATHS) {
    it(path.name, () => {
      const r = startRegistration({ student: aStudent(path.student), policy: defaultCohortPolicy(new Date(DEADLINE).toISOString(), path.policy) }, STARTED);
      setHolidays(r, ['2026-12-25', '2026-12-26', '2027-01-01']);
      invite(r);
      const sent: string[] = [];
      const send = (at: number) => {
        for (let request = handOverEmail(r); request; request = handOverEmail(r)) {
          const email = renderEmail(request, links);
          sent.push(request.message.kind);
          if (AUDIENCE[request.message.kind] === 'student') {
            for (const date of datesIn(email.text)) {
              assert.ok(date.endsAt > at, `${request.message.kind} sent ${new Date(at).toISOString()} names ${date.text}, which has passed:\n${email.text}`);
            }
          }
          emailSent(r, request, { delivery: 'OUTBOX', to: request.to, subject: email.subject }, at);
        }
      };
      send(STARTED);
      for (const [at, step] of path.steps) {
        if (r.status === 'COMPLETED' || r.status === 'WITHDRAWN') break;
        step(r, at);
        send(at);
      }
      assert.ok(sent.length > 1, `${path.name}: only ${sent.join(', ')}`);
      for (const [kind, n] of Object.entries(path.emails ?? {})) assert.equal(sent.filter((k) => k === kind).length, n, `${kind} in ${sent.join(', ')}`);
    });
  }

  it('the date reader reads what the templates write (a check that cannot fail proves nothing)', () => {
    assert.deepEqual(datesIn('by Wed, 23 Dec 2026, 23:59 HKT, or'), [{ text: 'Wed, 23 Dec 2026, 23:59 HKT', endsAt: DEADLINE + 60_000 }]);
    assert.deepEqual(
      datesIn('Tue, 14 Sept 2027, 23:59 HKT').map((d) => d.endsAt),
      [Date.parse('2027-09-14T16:00:00Z')],
    );
  });
});
