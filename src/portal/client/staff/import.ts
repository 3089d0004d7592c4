/** The cohort import (admins): upload a file of admitted students, follow the registrations being started, recent imports. */
import { type ImportJob, type ImportPreview } from '../api';
import { append, busy, byId, fmtShort, h, mount, toast, unawaited } from '../dom';
import { humanize } from '../labels';
import { staff } from './session';
import { messageOf, pageHead, table } from './widgets';

export async function importPage(): Promise<HTMLElement> {
  if (staff.me.role !== 'admin')
    return h('section', { class: 'card' }, h('h1', null, 'Import cohort'), h('p', null, 'Importing cohorts needs the administrator role.'));
  const input = h('input', { type: 'file', id: 'cohort-file', name: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const button = h('button', { class: 'btn', type: 'submit' }, 'Check file');
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const drop = h(
    'div',
    { class: 'drop' },
    h('p', null, h('strong', null, 'Drop a CSV or JSON file here'), ' or choose one'),
    h('label', { for: 'cohort-file', class: 'visually-hidden' }, 'Cohort file'),
    input,
  );
  const form = h(
    'form',
    { class: 'card' },
    h('h2', null, 'Admitted students file'),
    h(
      'p',
      { class: 'small muted' },
      'One row per student with the columns ',
      h('code', null, 'applicationNo, name, personalEmail, programCode, studyLevel, admissionRoute, residency, cohortId, registrationDeadline'),
      ' and optionally ',
      h('code', null, 'paymentDeadline, supplementary'),
      '. Check the file first: you see what would happen, and nothing starts until you confirm. Importing the same file again starts nothing new.',
    ),
    drop,
    h('div', { class: 'actions spaced' }, button),
  );
  // A preview is for the file it was made from: choosing another one puts it away.
  input.addEventListener('change', () => mount(result));
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('dragging')));
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    if (e.dataTransfer?.files.length) {
      input.files = e.dataTransfer.files;
      mount(result);
    }
  });
  const refused = (title: string, err: unknown) =>
    mount(result, h('div', { class: 'notice tone-bad', role: 'alert' }, h('div', null, h('strong', null, title), h('p', null, messageOf(err)))));

  const confirmImport = async (file: File, preview: ImportPreview, confirm: HTMLButtonElement) => {
    const mine = staff.generation;
    await busy(confirm, 'Importing…', async () => {
      try {
        const job = await staff.api.importCohort(file, preview.sha256);
        if (mine === staff.generation) await followImport(job, result, mine);
        if (mine === staff.generation) byId('recent-imports')?.replaceWith(await recentImports());
      } catch (err) {
        refused('The file was not imported.', err);
      }
    });
  };

  form.addEventListener(
    'submit',
    unawaited(async (e: Event) => {
      e.preventDefault();
      const file = input.files?.[0];
      if (!file) return;
      await busy(button, 'Checking…', async () => {
        const bar = h('div', { class: 'bar' }, h('span'));
        mount(result, h('section', { class: 'card' }, h('h2', null, `Checking ${file.name}`), bar));
        try {
          const preview = await staff.api.previewImport(file, (f) => ((bar.firstElementChild as HTMLElement).style.width = `${Math.round(f * 100)}%`));
          const card = previewCard(file.name, preview, {
            confirm: (b) => void confirmImport(file, preview, b),
            cancel: () => {
              mount(result);
              input.value = '';
              input.focus();
            },
          });
          mount(result, card);
          card.querySelector<HTMLElement>('h2')?.focus();
        } catch (err) {
          refused('The file was not checked.', err);
        }
      });
    }),
  );
  return h(
    'div',
    null,
    pageHead('Import cohort', 'Start the registration of every admitted student in a file.'),
    h('div', { class: 'stack' }, form, result, await recentImports()),
  );
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What the import of a checked file would do, in words, with the refused rows and the button that starts it. */
function previewCard(fileName: string, p: ImportPreview, actions: { confirm: (button: HTMLButtonElement) => void; cancel: () => void }): HTMLElement {
  const stat = (n: number, label: string, id: string) =>
    h('div', { class: 'stat', 'data-stat': id }, h('span', { class: 'n' }, String(n)), h('span', { class: 'l' }, label));
  const confirm = h(
    'button',
    { class: 'btn', type: 'button' },
    `Start ${plural(p.newRegistrations, 'registration', 'registrations')} and send ${plural(p.invitationEmails, 'invitation', 'invitations')}`,
  );
  confirm.addEventListener('click', () => actions.confirm(confirm));
  const cancel = h('button', { class: 'btn secondary', type: 'button' }, 'Choose another file');
  cancel.addEventListener('click', actions.cancel);
  const card = h(
    'section',
    { class: 'card', id: 'import-preview', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title', tabindex: '-1' }, `Check before importing ${fileName}`),
    h(
      'p',
      { 'data-testid': 'preview-summary' },
      p.newRegistrations
        ? `Importing this file would start ${plural(p.newRegistrations, 'new registration', 'new registrations')} and send ${plural(p.invitationEmails, 'invitation email', 'invitation emails')}.`
        : 'Importing this file would start no registration and send no email.',
      p.alreadyRegistered.length ? ` ${plural(p.alreadyRegistered.length, 'student is', 'students are')} already registered: nothing changes for them.` : '',
      p.refused.length ? ` ${plural(p.refused.length, 'row would be refused', 'rows would be refused')} (listed below).` : '',
      ' Nothing has been started yet.',
    ),
    h(
      'div',
      { class: 'stat-row' },
      stat(p.total, 'rows in the file', 'total'),
      stat(p.newRegistrations, 'new registrations', 'new'),
      stat(p.alreadyRegistered.length, 'already registered', 'existing'),
      stat(p.refused.length, 'rows refused', 'refused'),
      stat(p.invitationEmails, 'invitation emails', 'emails'),
    ),
  );
  if (p.refusedWhole)
    append(card, [
      h(
        'div',
        { class: 'notice tone-bad', 'data-testid': 'refused-whole' },
        h('div', null, h('strong', null, 'This file cannot be imported as it is. '), p.refusedWhole.reason),
      ),
      rejectedTable(p.refusedWhole.rows, 'Rows to correct before importing'),
    ]);
  if (p.refused.length) append(card, [h('h3', null, 'Rows that would be refused'), rejectedTable(p.refused, 'Rows that would be refused')]);
  if (p.alreadyRegistered.length)
    append(card, [h('details', null, h('summary', null, 'Already registered'), h('p', { class: 'mono small' }, p.alreadyRegistered.join(', ')))]);
  append(card, [h('div', { class: 'actions spaced' }, p.newRegistrations && !p.refusedWhole ? confirm : null, cancel)]);
  return card;
}

/** Refused rows, one line each, with every reason in words. */
function rejectedTable(rows: ImportPreview['refused'], caption: string): HTMLElement {
  return table(
    ['Line', 'Application no.', 'Why'],
    rows.map((r) =>
      h(
        'tr',
        null,
        h('td', { class: 'num' }, String(r.line)),
        h('td', { class: 'mono' }, r.applicationNo ?? '—'),
        h(
          'td',
          null,
          h(
            'ul',
            { class: 'checks' },
            r.reasons.map((x) => h('li', { class: 'fail' }, inWords(x))),
          ),
        ),
      ),
    ),
    '',
    caption,
  );
}

/** Column headers as staff say them: "applicationNo: is missing" reads "Application number (applicationNo): is missing", the header kept so the cell can be found in the file. */
const COLUMN_WORDS: Record<string, string> = {
  applicationNo: 'Application number',
  name: 'Name',
  personalEmail: 'Personal email',
  programCode: 'Program code',
  studyLevel: 'Study level',
  admissionRoute: 'Admission route',
  residency: 'Residency',
  cohortId: 'Cohort',
  registrationDeadline: 'Registration deadline',
  paymentDeadline: 'Payment deadline',
  supplementary: 'Supplementary documents',
  tuitionFee: 'Tuition fee',
};
function inWords(reason: string): string {
  const [, column, rest] = /^(\w+): (.*)$/s.exec(reason) ?? [];
  const words = column ? COLUMN_WORDS[column] : undefined;
  return words ? `${words} (${column}): ${rest}` : reason;
}

async function recentImports(): Promise<HTMLElement> {
  const { items } = await staff.api.imports();
  const rows = items.map((j) =>
    h(
      'tr',
      null,
      h('td', null, j.createdAt ? fmtShort(j.createdAt) : ''),
      h('td', null, j.source ?? h('span', { class: 'muted' }, 'JSON')),
      h('td', null, (j.cohortIds ?? []).join(', ')),
      h('td', { class: 'num' }, String(j.total)),
      h('td', { class: 'num' }, String(j.started)),
      h('td', { class: 'num' }, String(j.existing)),
      h('td', { class: 'num' }, String(j.rejected.length)),
      h('td', null, h('span', { class: `badge tone-${j.status === 'DONE' ? 'ok' : j.status === 'RUNNING' ? 'info' : 'bad'}` }, humanize(j.status))),
      h('td', { class: 'small muted' }, j.actor ?? ''),
    ),
  );
  return h(
    'section',
    { id: 'recent-imports', 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title' }, 'Recent imports'),
    table(
      ['When', 'File', 'Cohort', ['Rows', 'num'], ['Started', 'num'], ['Existing', 'num'], ['Rejected', 'num'], 'Status', 'By'],
      rows,
      'No imports yet.',
      'Recent imports',
    ),
  );
}

/** Shows the import's progress until it is done, polling the job while workflows are being started. */
async function followImport(job: ImportJob, into: HTMLElement, mine: number): Promise<void> {
  mount(into, importReport(job));
  if (job.status !== 'RUNNING') return;
  await new Promise<void>((resolve) => {
    const tick = unawaited(async () => {
      if (mine !== staff.generation) return resolve();
      try {
        job = await staff.api.importJob(job.id);
        mount(into, importReport(job));
      } catch (e) {
        toast(messageOf(e), 'bad');
      }
      if (job.status === 'RUNNING') staff.importTimer = window.setTimeout(tick, 500);
      else resolve();
    });
    staff.importTimer = window.setTimeout(tick, 500);
  });
}

function importReport(job: ImportJob): HTMLElement {
  const processed = job.started + job.existing + job.failed;
  const fraction = job.valid ? processed / job.valid : 1;
  const bar = h(
    'div',
    { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': job.valid, 'aria-valuenow': processed, 'aria-label': 'Registrations started' },
    h('span'),
  );
  (bar.firstElementChild as HTMLElement).style.width = `${Math.round(fraction * 100)}%`;
  const stat = (n: number, label: string, id: string) =>
    h('div', { class: 'stat', 'data-stat': id }, h('span', { class: 'n' }, String(n)), h('span', { class: 'l' }, label));
  const heading = job.status === 'RUNNING' ? 'Starting registrations…' : job.status === 'DONE' ? 'Import finished' : 'Import finished with failures';
  const card = h(
    'section',
    { class: 'card', 'data-import-status': job.status, 'aria-labelledby': 'import-title' },
    h(
      'div',
      { class: 'card-title' },
      h('h2', { id: 'import-title' }, heading),
      h('span', { class: `badge tone-${job.status === 'DONE' ? 'ok' : job.status === 'RUNNING' ? 'info' : 'bad'}` }, humanize(job.status)),
    ),
    bar,
    h('p', { class: 'small muted' }, `${processed} of ${job.valid} valid rows processed`, job.cohortIds?.length ? ` · cohort ${job.cohortIds.join(', ')}` : ''),
    h(
      'div',
      { class: 'stat-row' },
      stat(job.total, 'rows in the file', 'total'),
      stat(job.started, 'registrations started', 'started'),
      stat(job.existing, 'already registered', 'existing'),
      stat(job.rejected.length, 'rows rejected', 'rejected'),
      job.failed ? stat(job.failed, 'failed to start', 'failed') : null,
    ),
    job.duplicateOf ? h('div', { class: 'notice tone-info' }, h('div', null, 'This file was imported before; only missing registrations were started.')) : null,
  );
  if (job.rejected.length) append(card, [h('h3', null, 'Rejected rows'), rejectedTable(job.rejected, 'Rejected rows')]);
  if (job.failures?.length) {
    append(card, [
      h('h3', { class: 'spaced' }, 'Failed to start'),
      h(
        'ul',
        null,
        job.failures.map((f) => h('li', null, h('span', { class: 'mono' }, f.applicationNo), `: ${f.error}`)),
      ),
      h('p', { class: 'small muted' }, 'Import the same file again to retry them.'),
    ]);
  }
  return card;
}
