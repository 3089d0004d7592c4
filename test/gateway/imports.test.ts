import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SIGNATURE_HEADER, signWebhook } from '../../src/gateway/webhooks/signature';
import { projectRoot } from '../../src/paths';
import { STUDY_LEVELS } from '../../workflows/registration/api';
import { uniq } from '../kit/servers';
import { eventually, fetchJson, startStack, statusOf, type TestStack } from './support';

const sample = fs.readFileSync(path.join(projectRoot, 'data', 'cohort-2027.csv'), 'utf8');
const withErrors = fs.readFileSync(path.join(projectRoot, 'data', 'cohort-with-errors.csv'), 'utf8');

/** The sample with its own application numbers and cohort, so runs and tests never collide. */
const relabel = (csv: string, prefix: string, cohort: string) => csv.replace(/\b[AB]27(\d{5})\b/g, `${prefix}$1`).replace(/2027-fall(-late)?/g, cohort);

describe('gateway: cohort import', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const postCsv = (csv: string, query = '', key = stack.adminKey) =>
    fetchJson(`${stack.url}/api/imports${query}`, {
      method: 'POST',
      bearer: key,
      headers: { 'content-type': 'text/csv', 'x-file-name': 'cohort.csv' },
      body: csv,
    });

  it('imports the sample cohort (every category), and importing the same file again starts nothing new', async () => {
    const prefix = uniq('S').toUpperCase();
    const cohort = uniq('c-');
    const csv = relabel(sample, prefix, cohort);
    const first = await postCsv(csv, '?wait=true');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'DONE');
    assert.equal(first.body.total, 300);
    assert.deepEqual(first.body.rejected, []);
    assert.equal(first.body.started, 300);
    assert.equal(first.body.existing, 0);
    assert.equal(first.body.duplicateOf, null);
    assert.deepEqual(first.body.cohortIds, [cohort]);
    assert.match(first.body.actor, /^staff:admin\./);

    const again = await postCsv(csv, '?wait=true');
    assert.equal(again.status, 200);
    assert.equal(again.body.started, 0);
    assert.equal(again.body.existing, 300);
    assert.equal(again.body.duplicateOf, first.body.id);

    // Every category got its own checklist from the workflow, and the cohort's settings are recorded.
    const ug = await statusOf(stack, `${prefix}00003`); // UG NON_JUPAS LOCAL: owes tuition
    assert.deepEqual(
      ug.items.map((i) => i.key),
      ['ACTIVATION', 'FORM', 'ID_DOCUMENT', 'TUITION_RECEIPT', 'PHOTO'],
    );
    assert.equal(ug.deadlines.registration, '2027-08-31T15:59:59.999Z');
    assert.equal(ug.deadlines.payment, '2027-08-20T15:59:59.999Z');
    const tpg = await statusOf(stack, `${prefix}00006`); // TPG NON_LOCAL with supplementary documents
    assert.ok(tpg.items.some((i) => i.key === 'VISA'));
    assert.ok(tpg.items.some((i) => i.key === 'SUPPLEMENTARY:FINAL_TRANSCRIPT' && !i.compulsory));
    const cohortRow = await stack.prisma.cohort.findUnique({ where: { id: cohort } });
    assert.equal(cohortRow?.registrationDeadline.toISOString(), '2027-08-31T15:59:59.999Z');
    const levels = new Set(
      csv
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => l.split(',')[4]),
    );
    assert.deepEqual([...levels].sort(), [...STUDY_LEVELS].sort());
  });

  it('validates row by row: a report of rejected rows with reasons, and the valid rows are still imported', async () => {
    const prefix = uniq('E').toUpperCase();
    const res = await postCsv(relabel(withErrors, prefix, uniq('late-')), '?wait=true');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.total, 11);
    assert.equal(res.body.valid, 2);
    assert.equal(res.body.started, 2);
    const byLine = Object.fromEntries(res.body.rejected.map((r: any) => [r.line, r.reasons.join(' | ')]));
    assert.deepEqual(Object.keys(byLine).map(Number), [3, 4, 5, 6, 7, 8, 9, 10, 12]);
    assert.match(byLine[3], /personalEmail/);
    assert.match(byLine[4], /admissionRoute: required for undergraduates/);
    assert.match(byLine[5], /admissionRoute: only undergraduates/);
    assert.match(byLine[6], /studyLevel/);
    assert.match(byLine[7], /unknown document code BIRTH_CERTIFICATE/);
    assert.match(byLine[8], /duplicate of line 2/);
    assert.match(byLine[9], /name/);
    assert.match(byLine[10], /registrationDeadline: cohort .* has 2027-09-15T15:59:59.999Z/);
    assert.match(byLine[12], /registrationDeadline: must be a date/);
    assert.equal(res.body.rejected.find((r: any) => r.line === 3).applicationNo, `${prefix}00002`);
    await statusOf(stack, `${prefix}00001`);
    await statusOf(stack, `${prefix}00010`);
  });

  it('accepts JSON and answers 202 at once; progress is read from GET /api/imports/{id}', async () => {
    const prefix = uniq('J').toUpperCase();
    // One instant for the whole cohort: rows of one cohort that disagree on its deadline are rejected (a clock
    // tick inside the loop, on a loaded machine, once split this cohort into 5 valid rows and 20 rejected).
    const registrationDeadline = new Date(Date.now() + 40 * 86400_000).toISOString();
    const cohortId = uniq('json-');
    const students = Array.from({ length: 25 }, (_, i) => ({
      applicationNo: `${prefix}${i}`,
      name: `Student ${i}`,
      personalEmail: `s${i}.${prefix.toLowerCase()}@example.com`,
      programCode: 'MSC-IT',
      studyLevel: 'TPG',
      residency: i % 2 ? 'LOCAL' : 'NON_LOCAL',
      cohortId,
      registrationDeadline,
      supplementary: ['FINAL_TRANSCRIPT'],
    }));
    const res = await fetchJson(`${stack.url}/api/imports`, {
      method: 'POST',
      bearer: stack.adminKey,
      json: { students, policy: { compulsorySupplementary: ['FINAL_TRANSCRIPT'], verificationSlaWorkingDays: 3 } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.valid, 25, JSON.stringify(res.body.rejected));
    const done = await eventually(
      () => fetchJson(`${stack.url}/api/imports/${res.body.id}`, { bearer: stack.adminKey }),
      (r) => r.body.status !== 'RUNNING',
    );
    assert.equal(done.body.status, 'DONE');
    assert.equal(done.body.started, 25);
    const status = await statusOf(stack, `${prefix}0`);
    assert.equal(status.items.find((i) => i.key === 'SUPPLEMENTARY:FINAL_TRANSCRIPT')!.compulsory, true);
    const list = await fetchJson(`${stack.url}/api/imports?pageSize=5`, { bearer: stack.adminKey });
    assert.equal(list.status, 200);
    assert.equal(list.body.items[0].id, res.body.id);
  });

  it('accepts a CSV file as multipart/form-data, as the staff page sends it', async () => {
    const prefix = uniq('M').toUpperCase();
    const form = new FormData();
    form.append('file', new Blob([relabel(withErrors, prefix, uniq('mp-'))], { type: 'text/csv' }), 'late-admits.csv');
    const res = await fetchJson(`${stack.url}/api/imports?wait=1`, { method: 'POST', bearer: stack.adminKey, body: form });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.source, 'late-admits.csv');
    assert.equal(res.body.started, 2);
  });

  describe('the tuition fee (docs/domain.md, The tuition fee)', () => {
    const header = 'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,paymentDeadline,tuitionFee';
    const line = (no: string, route: string, cohort: string, fee: string) =>
      `${no},Lee Ka Yan,${no.toLowerCase()}@example.com,BSC-MATH,UG,${route},LOCAL,${cohort},2099-08-31,2099-08-20,${fee}`;

    it('refuses the whole import (422) naming each row of a student who owes the fee without one; nothing is started or recorded', async () => {
      const prefix = uniq('N').toUpperCase();
      const cohort = uniq('nofee-');
      const csv = [
        header,
        line(`${prefix}1`, 'JUPAS', cohort, ''),
        line(`${prefix}2`, 'NON_JUPAS', cohort, '42100 HKD'),
        line(`${prefix}3`, 'NON_JUPAS', cohort, ''),
      ].join('\n');
      const res = await postCsv(csv, '?wait=true');
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.code, 'INVALID_INPUT');
      assert.deepEqual(res.body.details.rows, [
        { line: 4, applicationNo: `${prefix}3`, field: 'tuitionFee', message: 'the student owes the tuition fee and no fee is known' },
      ]);
      assert.match(res.body.message, /line 4/);
      // Nothing of it: no cohort, no job, no registration (not even the rows that were fine).
      assert.equal(await stack.prisma.cohort.count({ where: { id: cohort } }), 0);
      assert.equal(await stack.prisma.importJob.count({ where: { cohortId: cohort } }), 0);
      await assert.rejects(statusOf(stack, `${prefix}1`), /not found/i);

      // The same students as JSON: the row is its 1-based index.
      const json = await fetchJson(`${stack.url}/api/imports`, {
        method: 'POST',
        bearer: stack.adminKey,
        json: {
          students: [
            {
              applicationNo: `${prefix}4`,
              name: 'Lee Ka Yan',
              personalEmail: 'lky4@example.com',
              programCode: 'BSC-MATH',
              studyLevel: 'UG',
              admissionRoute: 'NON_JUPAS',
              residency: 'LOCAL',
              cohortId: cohort,
              registrationDeadline: '2099-08-31',
            },
          ],
        },
      });
      assert.equal(json.status, 422, JSON.stringify(json.body));
      assert.deepEqual(
        json.body.details.rows.map((r: any) => [r.line, r.applicationNo, r.field]),
        [[1, `${prefix}4`, 'tuitionFee']],
      );
    });

    it("a row's fee is the fee the workflow judges payments by; a student who does not owe the fee needs none", async () => {
      const prefix = uniq('F').toUpperCase();
      const cohort = uniq('fee-');
      const res = await postCsv(
        [header, line(`${prefix}1`, 'NON_JUPAS', cohort, '44500 HKD'), line(`${prefix}2`, 'JUPAS', cohort, '')].join('\n'),
        '?wait=true',
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.started, 2);
      const body = JSON.stringify({
        id: randomUUID(),
        type: 'payment.confirmed',
        applicationNo: `${prefix}1`,
        paymentRef: 'PAY-SHORT',
        amount: 500,
        currency: 'HKD',
      });
      const paid = await fetchJson(`${stack.url}/api/webhooks/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(stack.config.WEBHOOK_SECRET, body) },
        body,
      });
      assert.equal(paid.status, 202, JSON.stringify(paid.body));
      // 500 HKD of the row's 44,500 HKD leaves 44,000 HKD to pay.
      const status = await eventually(
        () => statusOf(stack, `${prefix}1`),
        (s) => s.items.find((i) => i.key === 'TUITION_RECEIPT')!.flag !== undefined,
      );
      assert.equal(status.items.find((i) => i.key === 'TUITION_RECEIPT')!.flag, 'underpaid: 500 HKD of 44500 HKD paid, 44000 HKD outstanding');
      assert.ok(!(await statusOf(stack, `${prefix}2`)).items.some((i) => i.key === 'TUITION_RECEIPT'));
    });
  });

  it('refuses what is not an import: wrong content type 415, missing columns 400, bad JSON 400, unknown job 404', async () => {
    const xml = await fetchJson(`${stack.url}/api/imports`, {
      method: 'POST',
      bearer: stack.adminKey,
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    assert.equal(xml.status, 415);
    const columns = await postCsv('applicationNo,name\nA1,B\n');
    assert.equal(columns.status, 400);
    assert.match(columns.body.message, /missing columns: personalEmail/);
    const json = await fetchJson(`${stack.url}/api/imports`, { method: 'POST', bearer: stack.adminKey, json: { students: 'no' } });
    assert.equal(json.status, 400);
    assert.equal(json.body.details.issues[0].path, 'students');
    const missing = await fetchJson(`${stack.url}/api/imports/00000000-0000-4000-8000-000000000000`, { bearer: stack.adminKey });
    assert.equal(missing.status, 404);
    const notUuid = await fetchJson(`${stack.url}/api/imports/42`, { bearer: stack.adminKey });
    assert.equal(notUuid.status, 400);
  });
});
