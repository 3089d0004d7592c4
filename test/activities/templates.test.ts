/** Every email of the domain table: subject as written, the same facts in HTML and in text. */
import assert from 'node:assert/strict';
import { renderEmail, SUBJECTS } from '../../activities/email/templates';
import { EMAIL_KINDS, type EmailKind } from '../../workflows/registration/api';
import type { EmailMessage, EmailRequest } from '../../workflows/registration/emails';
import { invite, startRegistration } from '../../workflows/registration/state';
import { takeEmails } from '../../workflows/registration/email-decisions';
import { DAY, aStudent, policyDue } from '../workflow/support';

const state = startRegistration(
  {
    student: aStudent({ name: 'Chan <Tai> Man', residency: 'NON_LOCAL', studyLevel: 'UG', admissionRoute: 'JUPAS' }),
    policy: policyDue(Date.parse('2027-08-31T15:59:00Z')),
  },
  Date.parse('2027-07-01T00:00:00Z'),
);
invite(state);
const base = takeEmails(state)[0];
const item = { key: 'ID_DOCUMENT' as const, label: 'Identification document(s)' };

const messages: Record<EmailKind, EmailMessage> = {
  INVITATION: { kind: 'INVITATION' },
  REMINDER: { kind: 'REMINDER', deadline: 'REGISTRATION', at: base.context.deadlines.registration, missing: [item] },
  REJECTION: {
    kind: 'REJECTION',
    item,
    reasonCode: 'NAME_MISMATCH',
    note: 'The name on page 2 differs.',
    resubmitBy: new Date(Date.parse('2027-08-31T15:59:00Z') + 14 * DAY).toISOString(),
  },
  ACKNOWLEDGEMENT: { kind: 'ACKNOWLEDGEMENT' },
  FOLLOW_UP: { kind: 'FOLLOW_UP', owed: [{ key: 'PHOTO', label: 'ID-card photo' }] },
  WITHDRAWAL: { kind: 'WITHDRAWAL', reason: 'MISSED_COMPULSORY_ITEM', items: [item], detail: '' },
  SLA_ALERT: { kind: 'SLA_ALERT', item, submittedAt: '2027-08-01T02:00:00Z', expectedBy: '2027-08-06', workflowId: base.workflowId },
  LATE_EVENT: {
    kind: 'LATE_EVENT',
    event: 'PAYMENT',
    status: 'WITHDRAWN',
    outcomeReason: 'MISSED_FEE',
    receivedAt: '2027-09-01T02:00:00Z',
    facts: ['Payment reference: PAY-1', 'Amount: 42100 HKD'],
  },
  DEADLINE_EXTENDED: { kind: 'DEADLINE_EXTENDED', deadline: 'REGISTRATION', from: '2027-08-31T15:59:00.000Z', until: '2027-09-14T15:59:00.000Z' },
  SIGN_IN_LINK: { kind: 'SIGN_IN_LINK' },
  PAYMENT_SHORTFALL: { kind: 'PAYMENT_SHORTFALL', paid: 40000, fee: 42100, shortfall: 2100, currency: 'HKD', payBy: '2027-08-31T15:59:00.000Z' },
  CHECKLIST_CHANGED: {
    kind: 'CHECKLIST_CHANGED',
    owed: [{ key: 'TUITION_RECEIPT', label: 'Tuition payment receipt', compulsory: true, dueBy: 'PAYMENT', by: '2027-08-20T15:59:00.000Z' }],
    noLongerRequired: [{ key: 'VISA', label: 'Visa / entry permit' }],
  },
  PROJECTION_ALERT: { kind: 'PROJECTION_ALERT', workflowId: base.workflowId, seq: 7, error: 'invalid byte sequence for encoding "UTF8": 0x00' },
  ADDRESS_UNDELIVERABLE: {
    kind: 'ADDRESS_UNDELIVERABLE',
    address: 'chan@example.com',
    problem: 'BOUNCED',
    detail: 'Permanent: mailbox does not exist',
    workflowId: base.workflowId,
  },
};
const links = { activationUrl: 'https://idp.example/activate?token=T', registrationUrl: 'https://reg.example/invite?token=T' };
const render = (kind: EmailKind) => renderEmail({ ...base, message: messages[kind] } as EmailRequest, links);

describe('email templates', () => {
  it('subjects exactly as in the domain table', () => {
    assert.deepEqual(SUBJECTS, {
      INVITATION: 'HKUST: Invitation to Program Registration',
      REMINDER: 'Reminder: Program Registration deadline',
      REJECTION: 'HKUST: Action needed: document rejected',
      ACKNOWLEDGEMENT: 'Acknowledgement of Program Registration to the University',
      FOLLOW_UP: 'Follow-up Action: Program Registration to the University',
      WITHDRAWAL: 'Program Registration withdrawn',
      SLA_ALERT: 'Verification overdue: Program Registration',
      LATE_EVENT: 'Late event recorded: Program Registration',
      ADDRESS_UNDELIVERABLE: 'Invitation undeliverable: Program Registration',
      DEADLINE_EXTENDED: 'Program Registration: your deadline has been extended',
      SIGN_IN_LINK: 'Your sign-in link to Program Registration',
      PROJECTION_ALERT: 'Read model not updated: Program Registration',
      PAYMENT_SHORTFALL: 'HKUST: Tuition fee not fully paid',
      CHECKLIST_CHANGED: 'HKUST: Your registration checklist has changed',
    });
  });

  it('SIGN_IN_LINK carries a fresh activation link while the account is not activated, and none after', () => {
    const pending = render('SIGN_IN_LINK');
    assert.equal(base.context.items.find((i) => i.key === 'ACTIVATION')!.state, 'PENDING');
    assert.match(pending.text, /Activate your account/);
    assert.ok(pending.html.includes(links.activationUrl));
    const activatedItems = base.context.items.map((i) => (i.key === 'ACTIVATION' ? { ...i, state: 'VERIFIED' as const } : i));
    const activated = renderEmail({ ...base, context: { ...base.context, items: activatedItems }, message: messages.SIGN_IN_LINK } as EmailRequest, links);
    assert.doesNotMatch(activated.text, /Activate your account/);
    assert.ok(!activated.html.includes(links.activationUrl));
  });

  for (const kind of EMAIL_KINDS) {
    it(`${kind}: HTML and text say the same, with the HTML escaped`, () => {
      const email = render(kind);
      assert.equal(email.subject, SUBJECTS[kind]);
      const htmlText = email.html
        .replace(/<[^>]+>/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'");
      for (const line of email.text
        .split('\n')
        .map((l) => l.replace(/^\s*- /, '').trim())
        .filter(Boolean)) {
        const fact = line.includes(': http') ? line.split(': ')[1] : line;
        if (/^[A-Z0-9 .]+$/.test(fact)) continue; // headings are upper-cased in text
        assert.ok(htmlText.includes(fact) || email.html.includes(fact), `${kind}: "${fact}" missing from the HTML`);
      }
      assert.ok(!email.html.includes('Chan <Tai> Man'), 'names are escaped in HTML');
    });
  }

  it('every email declares its language: <html lang="en">', () => {
    for (const kind of EMAIL_KINDS) assert.match(render(kind).html, /^<!doctype html><html lang="en"><head>/, kind);
  });

  it('the invitation carries both links, the deadline in Hong Kong time and the contacts (visa contact by level)', () => {
    const { text } = render('INVITATION');
    assert.match(text, /Activate your account: https:\/\/idp\.example\/activate\?token=T/);
    assert.match(text, /Open Online Program Registration: https:\/\/reg\.example\/invite\?token=T/);
    assert.match(text, /Registration deadline: Tue, 31 Aug 2027, 23:59 HKT/);
    assert.match(text, /Visa \/ entry permit/);
    assert.match(text, /Student visa: studentvisa@ust\.hk/);
    assert.match(text, /Account activation: cchelp@ust\.hk/);
  });

  it('the rejection gives the reason, the note and the date to resubmit by', () => {
    const { text } = render('REJECTION');
    assert.match(text, /rejected: the name does not match our records/);
    assert.match(text, /The name on page 2 differs\./);
    assert.match(text, /by Tue, 14 Sept? 2027, 23:59 HKT/);
  });

  it('the rejection links to the student\'s portal page (a freshly signed registration link), with the invitation\'s "HKUST:" prefix', () => {
    const email = render('REJECTION');
    assert.match(email.text, /Open Online Program Registration: https:\/\/reg\.example\/invite\?token=T/);
    assert.match(email.html, /<a href="https:\/\/reg\.example\/invite\?token=T">Open Online Program Registration<\/a>/);
    assert.match(email.subject, /^HKUST: /);
    assert.throws(() => renderEmail({ ...base, message: messages.REJECTION } as EmailRequest), /needs its registration link/);
  });

  it('the policy numbers come from the cohort: a 3-day service level reads "3 working days", never 5', () => {
    const s3 = startRegistration(
      { student: aStudent(), policy: policyDue(Date.parse('2027-08-31T15:59:00Z'), { verificationSlaWorkingDays: 3, resubmissionWindow: '10 days' }) },
      Date.parse('2027-07-01T00:00:00Z'),
    );
    invite(s3);
    const invitation = takeEmails(s3)[0];
    const { text, html } = renderEmail(invitation, links);
    assert.match(text, /checked within 3 working days of your submission/);
    assert.match(text, /at least 10 days to upload a corrected one/);
    assert.ok(!/5 working days/.test(text + html), 'no hard-coded 5');
    const alert = renderEmail({ ...invitation, message: messages.SLA_ALERT } as EmailRequest);
    assert.match(alert.text, /verification service level \(3 working days\) was missed/);
  });

  it('a changed checklist names each item now owed with its deadline, and those no longer required, with a registration link', () => {
    const { text } = render('CHECKLIST_CHANGED');
    assert.match(text, /Now required:\n\n {2}- Tuition payment receipt: compulsory, by Fri, 20 Aug 2027, 23:59 HKT\n/);
    assert.match(text, /No longer required \(nothing more to do for these\):\n\n {2}- Visa \/ entry permit\n/);
    assert.match(text, /Open Online Program Registration: https:\/\/reg\.example\/invite\?token=T/);
  });

  it('reminders, extensions and sign-in-link emails carry a fresh registration link; the extension says the new date', () => {
    for (const kind of ['REMINDER', 'DEADLINE_EXTENDED', 'SIGN_IN_LINK'] as const) {
      assert.match(render(kind).text, /Open Online Program Registration: https:\/\/reg\.example\/invite\?token=T/, kind);
    }
    assert.match(render('DEADLINE_EXTENDED').text, /extended from Tue, 31 Aug 2027, 23:59 HKT to Tue, 14 Sept? 2027, 23:59 HKT/);
  });
});
