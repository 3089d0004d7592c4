/**
 * One registration: its checklist with the files and decisions of each item
 * (verify, reject, waive), the audit trail, and the side cards (student,
 * deadlines, emails; detail-cards.ts).
 */
import type { ItemView, RejectionReason } from '../../../../workflows/registration/types';
import { isOpen, isSettled } from '../../../../workflows/registration/vocabulary';
import { type AuditEntry, type StatusResponse } from '../api';
import { busy, dialog, fmtBytes, fmtDate, fmtDateTime, fmtShort, h, toast, unawaited, type Child } from '../dom';
import { REJECTION_REASON, STATUS, STUDY_LEVEL, humanize } from '../labels';
import { deadlinesCard, emailsCard, formCard } from './detail-cards';
import { correctEmailDialog } from './correct-email';
import { reclassifyDialog } from './reclassify';
import { route, staff } from './session';
import { messageOf, pageHead, stateBadge, statusBadge, summary, temporalLink } from './widgets';

export async function detailPage(no: string): Promise<HTMLElement> {
  const [v, audit] = await Promise.all([staff.api.registration(no), staff.api.audit(no).catch(() => [] as AuditEntry[])]);
  const trail = Array.isArray(audit) ? audit : audit.items;
  const open = isOpen(v.status);
  // The status comes from the workflow, the audit trail from the read model: it holds this tab's own last action (the
  // api names its seq) but may not hold a change made elsewhere a moment ago; the page counts as showing the older of
  // the two, so the change event of that projection redraws it (docs/architecture.md, "Reading one's own change").
  const trailSeq = Math.max(0, ...trail.map((e) => e.seq));
  staff.stream = { kind: 'registration', applicationNo: v.applicationNo, shownSeq: Math.min(v.seq, trailSeq) };
  return h(
    'div',
    null,
    h('p', { class: 'small' }, h('a', { href: '/staff/queue' }, '← Review queue'), ' · ', h('a', { href: '/staff/registrations' }, 'All registrations')),
    pageHead(
      v.student.name,
      h('span', null, h('span', { class: 'mono' }, v.applicationNo), ' · ', v.student.programCode, ' · ', statusBadge(v.status)),
      temporalLink(v.workflowUrl),
    ),
    v.outcome
      ? h(
          'div',
          { class: `notice tone-${STATUS[v.status].tone}` },
          h(
            'div',
            null,
            h('strong', null, `${STATUS[v.outcome.status].label}: ${humanize(v.outcome.reason)}`),
            h('p', null, v.outcome.detail),
            h('p', { class: 'small muted' }, fmtDateTime(v.outcome.at)),
          ),
        )
      : null,
    h(
      'div',
      { class: 'layout' },
      h(
        'div',
        { class: 'stack' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'items-title' },
          h('h2', { id: 'items-title' }, 'Checklist'),
          v.items.map((item) => reviewItem(v, item, open)),
        ),
        formCard(v, open),
        h('section', { class: 'card', 'aria-labelledby': 'audit-title' }, h('h2', { id: 'audit-title' }, 'Audit trail'), auditTrail(trail)),
      ),
      h('aside', { class: 'stack' }, studentCard(v, open), deadlinesCard(v, open), emailsCard(v)),
    ),
  );
}

function reviewItem(v: StatusResponse, item: ItemView, open: boolean): HTMLElement {
  const actions = h('div', { class: 'actions' });
  if (open && item.state === 'SUBMITTED') {
    actions.append(
      h(
        'button',
        { class: 'btn btn-ok btn-sm', type: 'button', 'data-action': 'verify', onclick: unawaited((e: Event) => decide(e, 'verify', v, item)) },
        'Verify',
      ),
      h(
        'button',
        { class: 'btn btn-danger btn-sm', type: 'button', 'data-action': 'reject', onclick: unawaited((e: Event) => decide(e, 'reject', v, item)) },
        'Reject…',
      ),
    );
  }
  if (open && !isSettled(item.state))
    actions.append(
      h(
        'button',
        { class: 'btn btn-secondary btn-sm', type: 'button', 'data-action': 'waive', onclick: unawaited((e: Event) => decide(e, 'waive', v, item)) },
        'Waive…',
      ),
    );

  // Every page of the latest submission may be previewed; older submissions are downloads only.
  const latest = item.submissions[item.submissions.length - 1]?.version;
  const pageOf = (s: (typeof item.submissions)[number]) => {
    const pages = item.submissions.filter((o) => o.version === s.version);
    return pages.length > 1 ? ` page ${pages.indexOf(s) + 1} of ${pages.length}` : '';
  };
  return h(
    'article',
    { class: 'review-item', id: `review-${item.key}`, 'data-state': item.state, 'data-item': item.key },
    h(
      'div',
      { class: 'card-title' },
      h('h3', null, item.label, ' ', item.compulsory ? h('span', { class: 'tag compulsory' }, 'Compulsory') : h('span', { class: 'tag' }, 'Optional')),
      stateBadge(item.state),
    ),
    h(
      'p',
      { class: 'small muted' },
      item.submittedAt ? `Submitted ${fmtDateTime(item.submittedAt)}` : 'Nothing submitted yet',
      item.expectedVerificationDate && item.state === 'SUBMITTED' ? ` · due by ${fmtDate(item.expectedVerificationDate)}` : '',
      item.slaBreached ? h('strong', { class: 'age-late' }, ' · past the service level') : '',
      item.resubmitBy ? ` · resubmission window ends ${fmtDateTime(item.resubmitBy)}` : '',
    ),
    item.flag
      ? h('div', { class: 'notice tone-bad', role: 'note', 'data-flag': '' }, h('div', null, h('strong', null, 'Check before deciding: '), item.flag))
      : null,
    item.draft.length
      ? h(
          'p',
          { class: 'small muted', 'data-draft': '' },
          `${item.draft.length} page${item.draft.length === 1 ? '' : 's'} added by the student, not yet sent for review`,
        )
      : null,
    item.submissions.length
      ? h(
          'ul',
          { class: 'files', 'aria-label': 'Files' },
          [...item.submissions]
            .reverse()
            .map((s) =>
              h(
                'li',
                null,
                h('span', { class: 'name' }, s.originalName),
                h(
                  'span',
                  { class: 'muted' },
                  `v${s.version}${pageOf(s)} · ${s.mediaType} · ${fmtBytes(s.size)}${s.imageWidth ? ` · ${s.imageWidth}×${s.imageHeight}px` : ''} · ${fmtShort(s.at)} · ${s.uploadedBy}`,
                ),
                s.documentId ? downloadButton(v.applicationNo, s.documentId, s.originalName) : null,
                s.documentId && s.mediaType.startsWith('image/') && s.version === latest ? previewButton(v.applicationNo, s.documentId) : null,
              ),
            ),
        )
      : null,
    item.reviews.length
      ? h(
          'ul',
          { class: 'timeline small', 'aria-label': 'Decisions' },
          item.reviews.map((r) =>
            h(
              'li',
              null,
              h(
                'div',
                { class: 't-head' },
                h('span', { class: 't-type' }, humanize(r.decision)),
                h('span', { class: 'muted' }, `${r.actor} · ${fmtShort(r.at)}`),
              ),
              r.reasonCode ? h('div', null, REJECTION_REASON[r.reasonCode]) : null,
              r.note ? h('div', { class: 't-data' }, `“${r.note}”`) : null,
            ),
          ),
        )
      : null,
    actions.childElementCount ? actions : null,
  );
}

function downloadButton(no: string, documentId: string, name: string): HTMLElement {
  const b = h('button', { class: 'btn-link', type: 'button' }, 'Download');
  b.addEventListener(
    'click',
    unawaited(async () => {
      try {
        const blob = await staff.api.download(no, documentId);
        const a = h('a', { href: URL.createObjectURL(blob), download: name });
        document.body.append(a);
        a.click();
        setTimeout(() => (URL.revokeObjectURL(a.href), a.remove()), 1000);
      } catch (e) {
        toast(messageOf(e), 'bad');
      }
    }),
  );
  return b;
}

/** Shows an uploaded photo inline (as a data: URL: the CSP allows those for images, not blob:). */
function previewButton(no: string, documentId: string): HTMLElement {
  const b = h('button', { class: 'btn-link', type: 'button' }, 'Preview');
  b.addEventListener(
    'click',
    unawaited(async () => {
      const blob = await staff.api.download(no, documentId);
      const url = await new Promise<string>((resolve) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result));
        r.readAsDataURL(blob);
      });
      b.closest('li')?.after(h('li', null, h('div', { class: 'upload-preview' }, h('img', { src: url, alt: 'Uploaded photo' }))));
      b.remove();
    }),
  );
  return b;
}

async function decide(e: Event, action: 'verify' | 'reject' | 'waive', v: StatusResponse, item: ItemView): Promise<void> {
  const button = e.currentTarget as HTMLButtonElement;
  let run: () => Promise<unknown>;
  if (action === 'verify') {
    run = () => staff.api.verify(v.applicationNo, item.key);
  } else if (action === 'reject') {
    const data = await dialog(
      `Reject “${item.label}”`,
      [
        h(
          'p',
          { class: 'muted small' },
          `${v.student.name} (${v.applicationNo}) will be emailed the reason and your note, and asked to upload a new file. Your name is recorded for staff and not shown to the student.`,
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'reject-reason' }, 'Reason'),
          h(
            'select',
            { id: 'reject-reason', name: 'reasonCode', required: true },
            h('option', { value: '' }, 'Choose a reason…'),
            (Object.keys(REJECTION_REASON) as RejectionReason[]).map((code) => h('option', { value: code }, humanize(code))),
          ),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'reject-note' }, 'Note to the student', h('span', { class: 'hint' }, 'Say what to fix; the student sees this.')),
          h('textarea', { id: 'reject-note', name: 'note', required: true, maxlength: 1000 }),
        ),
      ],
      'Reject item',
      'danger',
    );
    if (!data) return;
    run = () => staff.api.reject(v.applicationNo, item.key, String(data.get('reasonCode')) as RejectionReason, String(data.get('note')).trim());
  } else {
    const data = await dialog(
      `Waive “${item.label}”`,
      [
        h('p', { class: 'muted small' }, 'The item will count as done. Your name is recorded for staff and not shown to the student.'),
        h(
          'div',
          { class: 'field' },
          h(
            'label',
            { for: 'waive-reason' },
            'Reason for the student',
            h('span', { class: 'hint' }, 'The student sees this on their registration page ("waived for you: …"); write it for them.'),
          ),
          h('textarea', { id: 'waive-reason', name: 'reason', required: true, maxlength: 1000 }),
        ),
      ],
      'Waive item',
    );
    if (!data) return;
    run = () => staff.api.waive(v.applicationNo, item.key, String(data.get('reason')).trim());
  }
  await busy(button, action === 'verify' ? 'Verifying…' : 'Saving…', async () => {
    try {
      await run();
      toast(`${item.label}: ${action === 'verify' ? 'verified' : action === 'reject' ? 'rejected' : 'waived'}.`);
      await route();
    } catch (err) {
      toast(messageOf(err), 'bad');
    }
  });
}

function auditTrail(trail: AuditEntry[]): HTMLElement {
  if (!trail.length) return h('p', { class: 'muted' }, 'No events recorded yet.');
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'audit-trail' },
    [...trail]
      .reverse()
      .map((e) =>
        h(
          'li',
          null,
          h('div', { class: 't-head' }, h('span', { class: 't-type' }, humanize(e.type)), h('span', { class: 'muted' }, `${e.actor} · ${fmtDateTime(e.at)}`)),
          summary(e.data) ? h('div', { class: 't-data' }, summary(e.data)) : null,
        ),
      ),
  );
}

/** Who the student is; officers and admins reclassify them (residency, route, level, program) through Reclassify…. */
function studentCard(v: StatusResponse, open: boolean): HTMLElement {
  const s = v.student;
  const row = (k: string, ...val: Child[]) => [h('dt', null, k), h('dd', null, ...val)];
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'student-title', id: 'student-card' },
    h('h2', { id: 'student-title' }, 'Student'),
    h(
      'dl',
      { class: 'kv' },
      row('Application', s.applicationNo),
      row(
        'Personal email',
        h('a', { href: `mailto:${s.personalEmail}` }, s.personalEmail),
        v.personalEmailProblem
          ? h(
              'span',
              { class: 'badge tone-bad spaced', 'data-testid': 'email-problem' },
              v.personalEmailProblem.problem === 'BOUNCED' ? 'Bounced: no email reaches it' : 'Marked as spam: no email goes there',
            )
          : null,
      ),
      row('HKUST email', v.universityEmail ?? '—'),
      row('Program', s.programCode),
      row('Level', STUDY_LEVEL[s.studyLevel]),
      s.admissionRoute ? row('Route', s.admissionRoute === 'JUPAS' ? 'JUPAS' : 'Non-JUPAS') : null,
      row('Residency', s.residency === 'LOCAL' ? 'Local' : 'Non-local'),
      row('Cohort', s.cohortId),
      row('HKUST Card', v.cardReady ? h('span', { class: 'badge tone-ok' }, 'Ready to issue') : h('span', { class: 'badge tone-neutral' }, 'Not yet')),
    ),
  );
  if (open) {
    const b = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button' }, 'Reclassify…');
    b.addEventListener(
      'click',
      unawaited(async () => {
        b.disabled = true;
        try {
          const saved = await reclassifyDialog(s, async (changes, reason) => void (await staff.api.reclassify(v.applicationNo, changes, reason)));
          if (!saved) return;
          toast('Reclassified: the checklist was recomputed.');
          await route();
        } finally {
          b.disabled = false;
        }
      }),
    );
    const fix = h('button', { class: 'btn btn-secondary btn-sm spaced', type: 'button' }, 'Correct email…');
    fix.addEventListener(
      'click',
      unawaited(async () => {
        fix.disabled = true;
        try {
          const saved = await correctEmailDialog(
            s.personalEmail,
            async (email, reason) => void (await staff.api.correctPersonalEmail(v.applicationNo, email, reason)),
          );
          if (!saved) return;
          toast('Email corrected: a fresh invitation is on its way.');
          await route();
        } finally {
          fix.disabled = false;
        }
      }),
    );
    card.append(b, fix);
  }
  return card;
}
