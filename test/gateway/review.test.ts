import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { admit, eventually, fetchJson, startGateway, startStack, statusOf, uploadFile, type Admitted, type TestStack } from './support';
import { aPdf } from '../kit/samples';

describe('gateway: registry review', function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const reg = (no: string, rest = '') => `${stack.url}/api/registrations/${no}${rest}`;
  const submit = async (a: Admitted, item = 'ID_DOCUMENT') => {
    const res = await uploadFile(reg(a.applicationNo, `/items/${encodeURIComponent(item)}/documents`), aPdf(), `${item}.pdf`, { bearer: a.session });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.seq as number;
  };
  const queue = (query: Record<string, string>) => fetchJson(`${stack.url}/api/review-queue?${new URLSearchParams(query)}`, { bearer: stack.officerKey });

  it('the review queue lists submitted items oldest first, filtered by program and kind', async () => {
    const programCode = uniq('P').toUpperCase().slice(0, 12);
    const first = await admit(stack, { programCode, residency: 'NON_LOCAL' });
    const second = await admit(stack, { programCode });
    const elsewhere = await admit(stack);
    await submit(first, 'ID_DOCUMENT');
    await submit(second, 'ID_DOCUMENT');
    await submit(first, 'VISA');
    await submit(elsewhere, 'ID_DOCUMENT');

    const page = await eventually(
      () => queue({ programCode }),
      (r) => r.body.total === 3,
    );
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.items.map((e: any) => `${e.applicationNo}/${e.itemKey}`),
      [`${first.applicationNo}/ID_DOCUMENT`, `${second.applicationNo}/ID_DOCUMENT`, `${first.applicationNo}/VISA`],
    );
    const entry = page.body.items[0];
    assert.equal(entry.state, 'SUBMITTED');
    assert.equal(entry.ageWorkingDays, 0);
    assert.equal(entry.slaBreached, false);
    assert.ok(Date.parse(entry.expectedVerificationBy) > Date.now());
    const visas = await queue({ programCode, kind: 'VISA' });
    assert.deepEqual(
      visas.body.items.map((e: any) => e.applicationNo),
      [first.applicationNo],
    );
    const paged = await queue({ programCode, pageSize: '2', page: '2' });
    assert.equal(paged.body.items.length, 1);
    assert.equal(paged.body.total, 3);
    const bad = await queue({ kind: 'PASSPORT' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.details.issues[0].in, 'query');
  });

  // Written by hand from the Government's gazetted general holidays, not from the holiday library:
  // 2026: Fri 25 Dec Christmas Day, Sat 26 Dec "the first weekday after Christmas Day" (a Saturday: not moved).
  // 2027: Fri 1 Jan; Sat 6, Mon 8, Tue 9 Feb Lunar New Year (the second day is a Sunday, so the fourth day is given);
  //       Fri 26, Sat 27, Mon 29 Mar Easter; Mon 5 Apr Ching Ming.
  const ageCases = [
    { submitted: '2026-12-23T02:00:00Z', now: '2026-12-31T02:00:00Z', age: 5, why: 'Wed 23 Dec → Thu 31 Dec: Thu 24, Mon 28, Tue 29, Wed 30, Thu 31' },
    { submitted: '2026-12-23T02:00:00Z', now: '2027-01-04T02:00:00Z', age: 6, why: "and New Year's Day (Fri 1 Jan) does not count: Mon 4 Jan is the sixth" },
    { submitted: '2027-02-04T02:00:00Z', now: '2027-02-15T02:00:00Z', age: 5, why: 'across Lunar New Year: Fri 5, Wed 10, Thu 11, Fri 12, Mon 15 Feb' },
    {
      submitted: '2027-03-24T02:00:00Z',
      now: '2027-04-06T02:00:00Z',
      age: 6,
      why: 'across Easter and Ching Ming: Thu 25, Tue 30, Wed 31 Mar, Thu 1, Fri 2, Tue 6 Apr',
    },
  ];

  it("shows an item's age in Hong Kong working days: a hand-written table across Christmas, Lunar New Year and Easter", async () => {
    const a = await admit(stack, { programCode: 'AGE-TEST' });
    await submit(a);
    await eventually(
      () => queue({ programCode: 'AGE-TEST' }),
      (r) => r.body.total === 1,
    );
    let now = 0;
    const clocked = await startGateway({ now: () => now });
    try {
      for (const c of ageCases) {
        // Move the projected submission to the case's date: the age is computed from the read model.
        await stack.prisma.checklistItem.update({
          where: { registrationNo_key: { registrationNo: a.applicationNo, key: 'ID_DOCUMENT' } },
          data: { submittedAt: new Date(c.submitted) },
        });
        now = Date.parse(c.now);
        const page = await fetchJson(`${clocked.url}/api/review-queue?programCode=AGE-TEST`, { bearer: stack.officerKey });
        assert.equal(page.body.items[0].ageWorkingDays, c.age, c.why);
      }
    } finally {
      await clocked.close();
    }
  });

  it('closed registrations leave the review queue and the service-level breach list', async () => {
    const programCode = uniq('CL').toUpperCase().slice(0, 12);
    const open = await admit(stack, { programCode });
    const declined = await admit(stack, { programCode });
    await submit(open);
    await submit(declined);
    await eventually(
      () => queue({ programCode }),
      (r) => r.body.total === 2,
    );
    // Both submissions are past their service level (the read model is what the lists read).
    await stack.prisma.checklistItem.updateMany({
      where: { registrationNo: { in: [open.applicationNo, declined.applicationNo] }, key: 'ID_DOCUMENT' },
      data: { expectedVerificationBy: new Date(Date.now() - 86400_000) },
    });
    const breaching = () =>
      fetchJson(`${stack.url}/api/registrations?${new URLSearchParams({ programCode, slaBreached: 'true' })}`, { bearer: stack.officerKey });
    assert.equal((await breaching()).body.total, 2);
    // Only a submitted item breaches: a pending one with a past expected time (written into the read model
    // here) is not listed as breaching, and the filter and each entry's slaBreached agree.
    await stack.prisma.checklistItem.updateMany({
      where: { registrationNo: open.applicationNo, state: 'PENDING' },
      data: { expectedVerificationBy: new Date(Date.now() - 86400_000) },
    });
    const late = await queue({ programCode, slaBreached: 'true' });
    assert.deepEqual(
      late.body.items.map((e: any) => [e.itemKey, e.slaBreached]),
      [
        ['ID_DOCUMENT', true],
        ['ID_DOCUMENT', true],
      ],
    );
    assert.equal((await queue({ programCode, state: 'PENDING', slaBreached: 'true' })).body.total, 0);
    const pending = await queue({ programCode, state: 'PENDING', slaBreached: 'false' });
    assert.ok(pending.body.total >= 1 && pending.body.items.every((e: any) => e.slaBreached === false));
    const res = await fetchJson(reg(declined.applicationNo, '/decline'), { method: 'POST', bearer: declined.session, json: { reason: 'another offer' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const page = await eventually(
      () => queue({ programCode }),
      (r) => r.body.total === 1,
    );
    assert.deepEqual(
      page.body.items.map((e: any) => e.applicationNo),
      [open.applicationNo],
    );
    await eventually(breaching, (r) => r.body.total === 1);
    assert.deepEqual(
      (await breaching()).body.items.map((r: any) => r.applicationNo),
      [open.applicationNo],
    );
  });

  it('verify, reject (reason + note) and waive: recorded with the staff member on the workflow and in the audit trail', async () => {
    const a = await admit(stack, { residency: 'NON_LOCAL' });
    await submit(a, 'ID_DOCUMENT');
    await submit(a, 'VISA');
    const item = (key: string) => reg(a.applicationNo, `/items/${key}`);

    const verified = await fetchJson(`${item('ID_DOCUMENT')}/verify`, { method: 'POST', bearer: stack.officerKey, json: { note: 'clear scan' } });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body.state, 'VERIFIED');
    assert.match(verified.body.reviews[0].actor, /^staff:officer\./);

    const missingNote = await fetchJson(`${item('VISA')}/reject`, { method: 'POST', bearer: stack.officerKey, json: { reasonCode: 'EXPIRED' } });
    assert.equal(missingNote.status, 400);
    assert.equal(missingNote.body.details.issues[0].path, 'note');
    const badReason = await fetchJson(`${item('VISA')}/reject`, { method: 'POST', bearer: stack.officerKey, json: { reasonCode: 'UGLY', note: 'x' } });
    assert.equal(badReason.status, 400);
    const rejected = await fetchJson(`${item('VISA')}/reject`, {
      method: 'POST',
      bearer: stack.officerKey,
      json: { reasonCode: 'EXPIRED', note: 'Your entry permit expired in 2025; upload the renewed one.' },
    });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
    assert.equal(rejected.body.state, 'REJECTED');
    assert.equal(rejected.body.reviews.at(-1).reasonCode, 'EXPIRED');

    const waived = await fetchJson(`${item('PHOTO')}/waive`, { method: 'POST', bearer: stack.adminKey, json: { reason: 'Card issued in person' } });
    assert.equal(waived.status, 200, JSON.stringify(waived.body));
    assert.equal(waived.body.state, 'WAIVED');
    assert.match(waived.body.reviews.at(-1).actor, /^staff:admin\./);

    // The student sees the rejection reason in their status (read naming the last change, as the portal does).
    const seen = await fetchJson(reg(a.applicationNo, `?seq=${waived.body.seq}`), { bearer: a.session });
    const visa = seen.body.items.find((i: any) => i.key === 'VISA');
    assert.equal(visa.state, 'REJECTED');
    assert.match(visa.reviews.at(-1).note, /renewed/);

    const audit = await eventually(
      () => fetchJson(reg(a.applicationNo, '/audit'), { bearer: stack.officerKey }),
      (r) => r.body.items.filter((e: any) => e.actor.startsWith('staff:')).length >= 3,
    );
    const staffEvents = audit.body.items.filter((e: any) => e.actor.startsWith('staff:'));
    assert.deepEqual(
      staffEvents.map((e: any) => e.actor.split('.')[0]),
      ['staff:officer', 'staff:officer', 'staff:admin'],
    );
    assert.ok(
      audit.body.items.every((e: any, i: number, all: any[]) => i === 0 || all[i - 1].seq < e.seq),
      'in sequence order',
    );
  });

  it("the student's view and stream leave out the reviewer and the verification note; the rejection note and the waiver reason stay; staff see everything", async () => {
    const a = await admit(stack, { residency: 'NON_LOCAL' });
    await submit(a, 'ID_DOCUMENT');
    await submit(a, 'VISA');
    const item = (key: string) => reg(a.applicationNo, `/items/${key}`);
    const staffNote = 'Checked against the admissions file by phone';
    assert.equal((await fetchJson(`${item('ID_DOCUMENT')}/verify`, { method: 'POST', bearer: stack.officerKey, json: { note: staffNote } })).status, 200);
    const rejection = 'Your entry permit expired in 2025; upload the renewed one.';
    const rejected = await fetchJson(`${item('VISA')}/reject`, { method: 'POST', bearer: stack.officerKey, json: { reasonCode: 'EXPIRED', note: rejection } });
    assert.equal(rejected.status, 200);
    const waiver = 'Card issued in person';
    const waived = await fetchJson(`${item('PHOTO')}/waive`, { method: 'POST', bearer: stack.adminKey, json: { reason: waiver } });
    assert.equal(waived.status, 200);
    // Read naming the last change, as the portal does after an action.
    const current = reg(a.applicationNo, `?seq=${waived.body.seq}`);

    const reviewOf = (body: any, key: string) => body.items.find((i: any) => i.key === key).reviews.at(-1);
    const student = (await fetchJson(current, { bearer: a.session })).body;
    assert.deepEqual(Object.keys(reviewOf(student, 'ID_DOCUMENT')).sort(), ['at', 'decision', 'seq']);
    assert.deepEqual(Object.keys(reviewOf(student, 'VISA')).sort(), ['at', 'decision', 'note', 'reasonCode', 'seq']);
    assert.equal(reviewOf(student, 'VISA').note, rejection);
    assert.deepEqual(Object.keys(reviewOf(student, 'PHOTO')).sort(), ['at', 'decision', 'note', 'seq']);
    assert.equal(reviewOf(student, 'PHOTO').note, waiver);
    const raw = JSON.stringify(student);
    assert.ok(!raw.includes(staffNote), 'the verification note is not in the student view');
    assert.doesNotMatch(raw, /staff:(officer|admin)\./, "no reviewer's identity");

    const staff = (await fetchJson(current, { bearer: stack.officerKey })).body;
    assert.equal(reviewOf(staff, 'ID_DOCUMENT').note, staffNote);
    assert.match(reviewOf(staff, 'ID_DOCUMENT').actor, /^staff:officer\./);
    assert.match(reviewOf(staff, 'PHOTO').actor, /^staff:admin\./);

    // The student's live stream says only that something changed (the page then reads the view above).
    const controller = new AbortController();
    const stream = await fetch(reg(a.applicationNo, '/events'), {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${a.session}` },
      signal: controller.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!/^data: .*$/m.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const data = JSON.parse(/^data: (.*)$/m.exec(text)![1]!);
    assert.deepEqual(Object.keys(data), ['seq']);
    assert.ok(!text.includes(staffNote) && !/staff:/.test(text), text);
  });

  it("a file staff upload on the student's behalf reads as `staff` to the student, in the status and the documents list, naming no one; staff see who", async () => {
    const a = await admit(stack, { residency: 'NON_LOCAL' });
    const byStaff = await uploadFile(reg(a.applicationNo, '/items/ID_DOCUMENT/documents'), aPdf(), 'passport.pdf', { bearer: stack.officerKey });
    assert.equal(byStaff.status, 201, JSON.stringify(byStaff.body));
    // Read naming the last change, as the portal does after an action.
    const current = reg(a.applicationNo, `?seq=${await submit(a, 'VISA')}`);

    const uploaderOf = (body: any, key: string) => body.items.find((i: any) => i.key === key).submissions.at(-1).uploadedBy;
    const student = (await fetchJson(current, { bearer: a.session })).body;
    assert.equal(uploaderOf(student, 'ID_DOCUMENT'), 'staff');
    assert.equal(uploaderOf(student, 'VISA'), 'student');
    const documents = await eventually(
      () => fetchJson(reg(a.applicationNo, '/documents'), { bearer: a.session }),
      (r) => r.status === 200 && r.body.items.length === 2,
    );
    assert.deepEqual(documents.body.items.map((d: any) => [d.itemKey, d.uploadedBy]).sort(), [
      ['ID_DOCUMENT', 'staff'],
      ['VISA', 'student'],
    ]);
    for (const raw of [JSON.stringify(student), JSON.stringify(documents.body)]) assert.doesNotMatch(raw, /staff:|officer\./, "no staff member's identity");

    const staff = (await fetchJson(current, { bearer: stack.officerKey })).body;
    assert.match(uploaderOf(staff, 'ID_DOCUMENT'), /^staff:officer\./);
    assert.equal(uploaderOf(staff, 'VISA'), `student:${a.applicationNo}`);
    const staffDocuments = (await fetchJson(reg(a.applicationNo, '/documents'), { bearer: stack.officerKey })).body;
    assert.match(staffDocuments.items.find((d: any) => d.itemKey === 'ID_DOCUMENT').uploadedBy, /^staff:officer\./);
  });

  it('verifying an item that was never submitted is refused by the workflow (409); an unknown item is 404', async () => {
    const a = await admit(stack);
    const res = await fetchJson(reg(a.applicationNo, '/items/ID_DOCUMENT/verify'), { method: 'POST', bearer: stack.officerKey, json: {} });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'INVALID_TRANSITION');
    assert.equal(typeof res.body.message, 'string');
    const unknown = await fetchJson(reg(a.applicationNo, '/items/VISA/verify'), { method: 'POST', bearer: stack.officerKey, json: {} });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'ITEM_NOT_FOUND');
    const noReg = await fetchJson(reg('NOSUCH-1', '/items/ID_DOCUMENT/verify'), { method: 'POST', bearer: stack.officerKey, json: {} });
    assert.equal(noReg.status, 404);
    assert.equal(noReg.body.code, 'REGISTRATION_NOT_FOUND');
  });

  it('an admin extends the deadline; an earlier date (422) or a deadline the student lacks (409) is refused by the workflow', async () => {
    const a = await admit(stack);
    const before = await statusOf(stack, a.applicationNo);
    const later = new Date(Date.parse(before.deadlines.registration) + 14 * 86400_000).toISOString();
    const res = await fetchJson(reg(a.applicationNo, '/deadline'), {
      method: 'POST',
      bearer: stack.adminKey,
      json: { deadline: 'REGISTRATION', until: later, reason: 'Visa delay' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.deadlines.registration, later);
    const earlier = await fetchJson(reg(a.applicationNo, '/deadline'), {
      method: 'POST',
      bearer: stack.adminKey,
      json: { deadline: 'REGISTRATION', until: new Date(Date.now() + 86400_000).toISOString(), reason: 'oops' },
    });
    assert.equal(earlier.status, 422, JSON.stringify(earlier.body));
    assert.equal(earlier.body.code, 'INVALID_INPUT');
    assert.match(earlier.body.message, /must be later/);
    const payment = await fetchJson(reg(a.applicationNo, '/deadline'), {
      method: 'POST',
      bearer: stack.adminKey,
      json: { deadline: 'PAYMENT', until: later, reason: 'x' },
    });
    assert.equal(payment.status, 409, 'this student has no payment deadline');
    const invalid = await fetchJson(reg(a.applicationNo, '/deadline'), {
      method: 'POST',
      bearer: stack.adminKey,
      json: { deadline: 'SOMETIME', until: 'tomorrow' },
    });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.details.issues.map((i: any) => i.path).sort(), ['deadline', 'reason', 'until']);
  });

  it('lists registrations with filters and pagination from the read model', async () => {
    const cohortId = uniq('cohort-');
    const local = await admit(stack, { cohortId, name: 'Wong Siu Ming', programCode: 'BSC-CS', studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL' });
    const visitor = await admit(stack, { cohortId, name: 'Lee Ka Yan', programCode: 'MPHIL-PHYS', studyLevel: 'RPG', residency: 'NON_LOCAL' });
    await submit(visitor, 'VISA');
    const list = (q: Record<string, string>) =>
      fetchJson(`${stack.url}/api/registrations?${new URLSearchParams({ cohortId, ...q })}`, { bearer: stack.officerKey });
    const all = await eventually(
      () => list({}),
      (r) => r.body.total === 2,
    );
    assert.deepEqual(all.body.items.map((r: any) => r.applicationNo).sort(), [local.applicationNo, visitor.applicationNo].sort());
    assert.equal((await list({ programCode: 'bsc-cs' })).body.items[0].applicationNo, local.applicationNo);
    assert.equal((await list({ status: 'IN_PROGRESS' })).body.total, 2);
    assert.equal((await list({ status: 'COMPLETED' })).body.total, 0);
    assert.equal((await list({ q: 'ka yan' })).body.items[0].applicationNo, visitor.applicationNo);
    assert.equal((await list({ studyLevel: 'RPG', residency: 'NON_LOCAL' })).body.total, 1);
    const owingVisa = await eventually(
      () => list({ outstanding: 'VISA' }),
      (r) => r.body.total === 1,
    );
    assert.equal(owingVisa.body.items[0].applicationNo, visitor.applicationNo);
    assert.equal((await list({ overdue: 'true' })).body.total, 0, 'deadlines are a month away');
    assert.equal((await list({ overdue: 'false' })).body.total, 2);
    assert.equal((await list({ slaBreached: 'true' })).body.total, 0);
    const page2 = await list({ pageSize: '1', page: '2' });
    assert.equal(page2.body.items.length, 1);
    assert.equal(page2.body.pageSize, 1);
    assert.equal((await list({ pageSize: '1000' })).status, 400);
    assert.equal((await list({ status: 'DONE' })).status, 400);
  });

  it("staff see the workflow link in the Temporal UI; the registration's own detail is live", async () => {
    const a = await admit(stack);
    const res = await fetchJson(reg(a.applicationNo), { bearer: stack.officerKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.workflowUrl, `${stack.config.temporalUiUrl}/namespaces/default/workflows/registration-${a.applicationNo}`);
  });
});
