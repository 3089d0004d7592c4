/**
 * Every email of the registration, in one place: subject lines exactly as in
 * docs/domain.md, and the body of each written once as blocks that render to
 * both HTML and plain text, so the two can never say different things.
 */
import type { EmailContext, EmailMessage, EmailRequest } from '../../workflows/registration/emails';
import type { DueBy, EmailKind, OutcomeReason, RejectionReason } from '../../workflows/registration/types';

type DeadlineKind = Exclude<DueBy, null>;
import { hongKongDateTime } from '../../src/hong-kong-time';

export const SUBJECTS: Record<EmailKind, string> = {
  INVITATION: 'HKUST: Invitation to Program Registration',
  REMINDER: 'Reminder: Program Registration deadline',
  REJECTION: 'HKUST: Action needed: document rejected',
  ACKNOWLEDGEMENT: 'Acknowledgement of Program Registration to the University',
  FOLLOW_UP: 'Follow-up Action: Program Registration to the University',
  WITHDRAWAL: 'Program Registration withdrawn',
  SLA_ALERT: 'Verification overdue: Program Registration',
  LATE_EVENT: 'Late event recorded: Program Registration',
  DEADLINE_EXTENDED: 'Program Registration: your deadline has been extended',
  SIGN_IN_LINK: 'Your sign-in link to Program Registration',
  PROJECTION_ALERT: 'Read model not updated: Program Registration',
  ADDRESS_UNDELIVERABLE: 'Invitation undeliverable: Program Registration',
  PAYMENT_SHORTFALL: 'HKUST: Tuition fee not fully paid',
  CHECKLIST_CHANGED: 'HKUST: Your registration checklist has changed',
};

/** Who an email goes to: the student's addresses (chosen by the workflow) or the registry's alert address. */
export const AUDIENCE: Record<EmailKind, 'student' | 'registry'> = {
  INVITATION: 'student',
  REMINDER: 'student',
  REJECTION: 'student',
  ACKNOWLEDGEMENT: 'student',
  FOLLOW_UP: 'student',
  WITHDRAWAL: 'student',
  SLA_ALERT: 'registry',
  LATE_EVENT: 'registry',
  DEADLINE_EXTENDED: 'student',
  SIGN_IN_LINK: 'student',
  PROJECTION_ALERT: 'registry',
  ADDRESS_UNDELIVERABLE: 'registry',
  PAYMENT_SHORTFALL: 'student',
  CHECKLIST_CHANGED: 'student',
};

export interface InvitationLinks {
  activationUrl: string;
  registrationUrl: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

type Block = { p: string } | { list: string[] } | { link: { label: string; url: string } } | { heading: string };

const REASONS: Record<RejectionReason, string> = {
  UNREADABLE: 'the document is not readable',
  EXPIRED: 'the document has expired',
  WRONG_DOCUMENT: 'this is not the document requested',
  NAME_MISMATCH: 'the name does not match our records',
  INCOMPLETE_PAGES: 'pages are missing',
  PHOTO_SPEC: 'the photo does not meet the photo specification',
  OTHER: 'see the note below',
};

/** A deadline as the student's emails name it. */
const deadlineName = (d: DeadlineKind): string => (d === 'PAYMENT' ? 'tuition payment deadline' : 'registration deadline');

/**
 * Why a registration was withdrawn, naming the deadline that applied: the fee of a cohort without a payment
 * deadline was due by the registration deadline. (A notice decided before the words named it says "the deadline".)
 */
function withdrawalReason(reason: OutcomeReason, deadline: DeadlineKind | undefined): string {
  const by = deadline ? `the ${deadlineName(deadline)}` : reason === 'MISSED_FEE' ? 'the payment deadline' : 'the deadline';
  const reasons: Record<OutcomeReason, string> = {
    ALL_ITEMS_VERIFIED: '',
    SUPPLEMENTARY_OWED: '',
    MISSED_COMPULSORY_ITEM: `compulsory registration items were not submitted by ${by}`,
    MISSED_FEE: `the tuition fee was not settled by ${by}`,
    UNRESOLVED_REJECTION: 'a rejected compulsory document was not resubmitted within the resubmission window',
    DECLINED: 'you declined the offer of admission',
  };
  return reasons[reason];
}

/** An amount of money as a statement shows it, e.g. "42,100 HKD", "0.50 HKD". */
const amount = (n: number, currency: string): string =>
  `${n.toLocaleString('en-US', { minimumFractionDigits: Number.isInteger(n) ? 0 : 2, maximumFractionDigits: 2 })} ${currency}`;

/** A date as a Hong Kong reader expects it, e.g. "Thu, 31 Dec 2026, 23:59 HKT". */
export const hkTime = (isoInstant: string): string => hongKongDateTime(isoInstant, { weekday: true });

/** The deadlines still ahead (a deadline that has passed is not named: it is no date to act by). */
function deadlineLines(ctx: EmailContext): string[] {
  const passed = ctx.deadlines.passed ?? [];
  const lines: string[] = [];
  if (!passed.includes('registration')) lines.push(`Registration deadline: ${hkTime(ctx.deadlines.registration)}`);
  if (ctx.deadlines.payment && !passed.includes('payment')) lines.push(`Tuition payment deadline: ${hkTime(ctx.deadlines.payment)}`);
  return lines;
}

/** "3 working days", "1 day": numbers always come from the cohort's policy (ctx.policy), never from a template. */
const workingDays = (n: number): string => `${n} working day${n === 1 ? '' : 's'}`;
const days = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;

function slaLine(ctx: EmailContext): string {
  return `Documents are checked within ${workingDays(ctx.policy.verificationSlaWorkingDays)} of your submission (weekends and Hong Kong public holidays do not count); you can check your registration status after that.`;
}

/**
 * The links a student's email carries: the registration, and while the HKUST account is not activated a fresh
 * activation link too. Activation links are short-lived (ACTIVATION_LINK_TTL_HOURS): the invitation's has
 * likely expired by the time a reminder or any later email comes.
 */
function registrationLinks(ctx: EmailContext, links: InvitationLinks | undefined): Block[] {
  if (!links) throw new Error('this email needs its registration link');
  const registration: Block = { link: { label: 'Open Online Program Registration', url: links.registrationUrl } };
  if (!ctx.items.some((i) => i.key === 'ACTIVATION' && i.state === 'PENDING')) return [registration];
  return [
    registration,
    { p: 'Your HKUST account is not activated yet: here is a new activation link.' },
    { link: { label: 'Activate your account', url: links.activationUrl } },
  ];
}

function contactLines(ctx: EmailContext): string[] {
  const lines = [`Program registration: ${ctx.contacts.registration}`, `Account activation: ${ctx.contacts.activation}`];
  if (ctx.items.some((i) => i.key === 'VISA')) lines.push(`Student visa: ${ctx.contacts.visa}`);
  return lines;
}

const greeting = (ctx: EmailContext): Block => ({ p: `Dear ${ctx.student.name},` });
const signOff: Block[] = [{ p: 'Academic Registry' }, { p: 'The Hong Kong University of Science and Technology' }];
const reference = (ctx: EmailContext): Block => ({ p: `Application number: ${ctx.student.applicationNo} · Program: ${ctx.student.programCode}` });

function body(request: EmailRequest, links?: InvitationLinks): Block[] {
  const ctx = request.context;
  const m: EmailMessage = request.message;
  switch (m.kind) {
    case 'INVITATION': {
      if (!links) throw new Error('the invitation needs its links');
      const compulsory = ctx.items.filter((i) => i.compulsory).map((i) => i.label + (i.dueBy === 'PAYMENT' ? ' (by the payment deadline)' : ''));
      const optional = ctx.items.filter((i) => !i.compulsory).map((i) => i.label);
      return [
        greeting(ctx),
        { p: 'Congratulations on your admission. Online Program Registration is a mandatory process to confirm your enrollment at HKUST.' },
        reference(ctx),
        { heading: '1. Activate your HKUST account' },
        { link: { label: 'Activate your account', url: links.activationUrl } },
        { heading: '2. Complete your Online Program Registration' },
        { link: { label: 'Open Online Program Registration', url: links.registrationUrl } },
        { p: 'Compulsory by the deadline:' },
        { list: compulsory },
        ...(optional.length ? [{ p: 'Also requested (may follow later):' }, { list: optional }] : []),
        { heading: 'Deadlines' },
        { list: deadlineLines(ctx) },
        { p: slaLine(ctx) },
        { p: `If a compulsory document is rejected, you have at least ${days(ctx.policy.resubmissionWindowDays)} to upload a corrected one.` },
        { heading: 'Contacts' },
        { list: contactLines(ctx) },
        ...signOff,
      ];
    }
    case 'REMINDER':
      return [
        greeting(ctx),
        { p: `Your Program Registration is not complete. The ${m.deadline === 'PAYMENT' ? 'tuition payment' : 'registration'} deadline is ${hkTime(m.at)}.` },
        { p: 'Still missing:' },
        { list: m.missing.map((i) => i.label) },
        { p: 'If the compulsory items are not submitted by the deadline, your registration will be withdrawn.' },
        ...registrationLinks(ctx, links),
        reference(ctx),
        { list: contactLines(ctx) },
        ...signOff,
      ];
    case 'REJECTION':
      return [
        greeting(ctx),
        { p: `Your submission for "${m.item.label}" was rejected: ${REASONS[m.reasonCode]}.` },
        { p: `Note from the Academic Registry: ${m.note}` },
        {
          p: m.resubmitBy
            ? `Please upload a corrected document by ${hkTime(m.resubmitBy)}, or your registration will be withdrawn.`
            : 'Please upload a corrected document as soon as possible.',
        },
        // Fixing the document is all this email asks: the link takes the student to the page where it is done.
        ...registrationLinks(ctx, links),
        reference(ctx),
        ...signOff,
      ];
    case 'ACKNOWLEDGEMENT':
      return [
        greeting(ctx),
        { p: 'Your Online Program Registration is completed: every step has been verified by the Academic Registry. Welcome to HKUST.' },
        reference(ctx),
        ...signOff,
      ];
    case 'FOLLOW_UP':
      return [
        greeting(ctx),
        {
          p: 'You completed all compulsory registration steps on time and are considered registered. Your status is "Incomplete" because these items are still outstanding:',
        },
        { list: m.owed.map((i) => i.label) },
        { p: 'Please provide them as soon as they are available.' },
        reference(ctx),
        { list: contactLines(ctx) },
        ...signOff,
      ];
    case 'WITHDRAWAL':
      return [
        greeting(ctx),
        { p: `Your Program Registration has been withdrawn: ${withdrawalReason(m.reason, m.deadline)}.` },
        ...(m.items.length ? [{ list: m.items.map((i) => i.label) } as Block] : []),
        { p: `If you believe this is a mistake, contact ${ctx.contacts.registration} quoting your application number.` },
        reference(ctx),
        ...signOff,
      ];
    case 'PAYMENT_SHORTFALL':
      return [
        greeting(ctx),
        {
          p: `We received ${amount(m.paid, m.currency)} for your tuition fee of ${amount(m.fee, m.currency)}. The fee is not settled: ${amount(m.shortfall, m.currency)} is outstanding.`,
        },
        {
          p: m.payBy
            ? `Please pay the outstanding ${amount(m.shortfall, m.currency)} by ${hkTime(m.payBy)}, or your registration will be withdrawn.`
            : `The tuition payment deadline has passed: please contact ${ctx.contacts.registration} at once, quoting your application number, or your registration will be withdrawn.`,
        },
        ...registrationLinks(ctx, links),
        reference(ctx),
        { list: contactLines(ctx) },
        ...signOff,
      ];
    case 'CHECKLIST_CHANGED':
      return [
        greeting(ctx),
        { p: 'The Academic Registry has updated your admission record, and with it your Online Program Registration checklist.' },
        ...(m.owed.length
          ? [
              { p: 'Now required:' } as Block,
              {
                list: m.owed.map(
                  (i) => `${i.label}: ${i.compulsory ? (i.by ? `compulsory, by ${hkTime(i.by)}` : 'compulsory, as soon as you can') : 'may follow later'}`,
                ),
              } as Block,
            ]
          : []),
        ...(m.noLongerRequired.length
          ? [{ p: 'No longer required (nothing more to do for these):' } as Block, { list: m.noLongerRequired.map((i) => i.label) } as Block]
          : []),
        ...registrationLinks(ctx, links),
        reference(ctx),
        { list: contactLines(ctx) },
        ...signOff,
      ];
    case 'DEADLINE_EXTENDED':
      return [
        greeting(ctx),
        {
          p: `Your ${m.deadline === 'PAYMENT' ? 'tuition payment' : 'registration'} deadline has been extended from ${hkTime(m.from)} to ${hkTime(m.until)}.`,
        },
        { heading: 'Deadlines' },
        { list: deadlineLines(ctx) },
        ...registrationLinks(ctx, links),
        reference(ctx),
        { list: contactLines(ctx) },
        ...signOff,
      ];
    case 'SIGN_IN_LINK':
      return [
        greeting(ctx),
        { p: 'You asked for a new link to your Online Program Registration. It signs you in; do not forward it.' },
        // Asking for a new link is also how an expired activation link is replaced.
        ...registrationLinks(ctx, links),
        { p: 'If you did not ask for it, you can ignore this email.' },
        reference(ctx),
        ...signOff,
      ];
    case 'SLA_ALERT':
      return [
        {
          p: `The verification service level (${workingDays(ctx.policy.verificationSlaWorkingDays)}) was missed for ${ctx.student.name} (${ctx.student.applicationNo}, ${ctx.student.programCode}).`,
        },
        { list: [`Item: ${m.item.label}`, `Submitted: ${hkTime(m.submittedAt)}`, `Expected by: ${m.expectedBy}`, `Workflow: ${m.workflowId}`] },
        { p: 'Please verify or reject the item in the review queue.' },
      ];
    case 'PROJECTION_ALERT':
      if (m.leftOut === 'universityEmail') {
        return [
          {
            p: `The university account of ${ctx.student.name} (${ctx.student.applicationNo}) cannot be stored in the read model: another registration holds it, and an account signs in to one registration only.`,
          },
          { list: [`Workflow: ${m.workflowId}`, `Change: ${m.seq}`, `Problem: ${m.error}`] },
          {
            p: 'Every change of this registration is stored without the account, so single sign-on does not find it; its invitation link still works. Find out which registration the account belongs to (the identity provider, the Temporal UI).',
          },
        ];
      }
      return [
        {
          p: `A change to the registration of ${ctx.student.name} (${ctx.student.applicationNo}) cannot be stored in the read model: PostgreSQL refuses its data.`,
        },
        { list: [`Workflow: ${m.workflowId}`, `Change: ${m.seq}`, `Error: ${m.error}`] },
        {
          p: 'The workflow goes on and its live status is right; the staff lists show this registration as it was before the change. Inspect the workflow in the Temporal UI; later changes are projected again as they come.',
        },
      ];
    case 'ADDRESS_UNDELIVERABLE':
      return [
        {
          p: `Email to the personal address of ${ctx.student.name} (${ctx.student.applicationNo}, ${ctx.student.programCode}) ${m.problem === 'BOUNCED' ? 'bounced for good' : 'was marked as spam by its recipient'}: ${m.address}.`,
        },
        { list: [...(m.detail ? [`Provider: ${m.detail}`] : []), `Workflow: ${m.workflowId}`] },
        {
          p: "No reminder goes to that address any more, and the student may never have seen the invitation. Find the right address (the application file, the student's school) and correct it on the registration's staff page: a fresh invitation goes to the new address.",
        },
      ];
    case 'LATE_EVENT':
      return [
        {
          p: m.afterDeadline
            ? `A payment made after the tuition fee's deadline (${hkTime(m.afterDeadline)}) arrived for ${ctx.student.name} (${ctx.student.applicationNo}, ${ctx.student.programCode}) while the registration was ${m.status}. It does not count as on time and did not settle the fee.`
            : `A ${m.event === 'PAYMENT' ? 'payment' : 'university account activation'} arrived for ${ctx.student.name} (${ctx.student.applicationNo}, ${ctx.student.programCode}) after the registration was ${m.status}${m.outcomeReason ? ` (${m.outcomeReason})` : ''}.`,
        },
        { list: [...m.facts, `Received: ${hkTime(m.receivedAt)}`] },
        {
          p: 'It is recorded in the audit trail and listed under Late events on the staff pages; the registration itself did not change. Please decide whether a refund or another manual step is needed.',
        },
      ];
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function toHtml(blocks: Block[], subject: string): string {
  const parts = blocks.map((b) => {
    if ('p' in b) return `<p>${escapeHtml(b.p)}</p>`;
    if ('heading' in b) return `<h3>${escapeHtml(b.heading)}</h3>`;
    if ('list' in b) return `<ul>${b.list.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`;
    return `<p><a href="${escapeHtml(b.link.url)}">${escapeHtml(b.link.label)}</a></p>`;
  });
  // lang tells screen readers and translation tools which language to read the email in (WCAG 3.1.1).
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>${parts.join('\n')}</body></html>`;
}

function toText(blocks: Block[]): string {
  return (
    blocks
      .map((b) => {
        if ('p' in b) return b.p;
        if ('heading' in b) return b.heading.toUpperCase();
        if ('list' in b) return b.list.map((l) => `  - ${l}`).join('\n');
        return `${b.link.label}: ${b.link.url}`;
      })
      .join('\n\n') + '\n'
  );
}

export function renderEmail(request: EmailRequest, links?: InvitationLinks): RenderedEmail {
  const subject = SUBJECTS[request.message.kind];
  const blocks = body(request, links);
  return { subject, html: toHtml(blocks, subject), text: toText(blocks) };
}
