/** The cohort import (admins): upload a file of admitted students, follow the registrations being started, recent imports. */
import { type ImportJob } from '../api';
import { append, busy, byId, fmtShort, h, mount, toast, unawaited } from '../dom';
import { humanize } from '../labels';
import { staff } from './session';
import { messageOf, pageHead, table } from './widgets';

export async function importPage(): Promise<HTMLElement> {
  if (staff.me.role !== 'admin')
    return h('section', { class: 'card' }, h('h1', null, 'Import cohort'), h('p', null, 'Importing cohorts needs the administrator role.'));
  const input = h('input', { type: 'file', id: 'cohort-file', name: 'file', accept: '.csv,.json,text/csv,application/json', required: true });
  const button = h('button', { class: 'btn', type: 'submit' }, 'Import');
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
      '. Rows with problems are listed and skipped; the others are imported. Importing the same file again starts nothing new.',
    ),
    drop,
    h('div', { class: 'actions spaced' }, button),
  );
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('dragging')));
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    if (e.dataTransfer?.files.length) input.files = e.dataTransfer.files;
  });
  form.addEventListener(
    'submit',
    unawaited(async (e: Event) => {
      e.preventDefault();
      const file = input.files?.[0];
      if (!file) return;
      const mine = staff.generation;
      await busy(button, 'Importing…', async () => {
        const bar = h('div', { class: 'bar' }, h('span'));
        mount(result, h('section', { class: 'card' }, h('h2', null, `Uploading ${file.name}`), bar));
        try {
          const job = await staff.api.importCohort(file, (f) => ((bar.firstElementChild as HTMLElement).style.width = `${Math.round(f * 100)}%`));
          if (mine === staff.generation) await followImport(job, result, mine);
          if (mine === staff.generation) byId('recent-imports')?.replaceWith(await recentImports());
        } catch (err) {
          mount(
            result,
            h(
              'div',
              { class: 'notice tone-bad', role: 'alert' },
              h('div', null, h('strong', null, 'The file was not imported.'), h('p', null, messageOf(err))),
            ),
          );
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
  if (job.rejected.length) {
    append(card, [
      h('h3', null, 'Rejected rows'),
      table(
        ['Line', 'Application no.', 'Problems'],
        job.rejected.map((r) =>
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
                r.reasons.map((x) => h('li', { class: 'fail' }, x)),
              ),
            ),
          ),
        ),
        '',
        'Rejected rows',
      ),
    ]);
  }
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
