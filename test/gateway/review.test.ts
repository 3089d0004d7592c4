import assert from 'node:assert/strict';
import Holidays from 'date-holidays';
import { uniq } from '../support/env';
import { aPdf, admit, eventually, fetchJson, startStack, statusOf, uploadFile, type Admitted, type TestStack } from './support';

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

    const page = await eventually(() => queue({ programCode }), (r) => r.body.total === 3);
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
    assert.deepEqual(visas.body.items.map((e: any) => e.applicationNo), [first.applicationNo]);
    const paged = await queue({ programCode, pageSize: '2', page: '2' });
    assert.equal(paged.body.items.length, 1);
    assert.equal(paged.body.total, 3);
    const bad = await queue({ kind: 'PASSPORT' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.details.issues[0].in, 'query');
  });

  it('shows an item\'s age in Hong Kong working days (weekends and public holidays do not count)', async () => {
    const a = await admit(stack, { programCode: 'AGE-TEST' });
    await submit(a);
    await eventually(() => queue({ programCode: 'AGE-TEST' }), (r) => r.body.total === 1);
    // Move the projected submission back in time: the age is computed from the read model.
    const submittedAt = new Date(Date.now() - 12 * 86400_000);
    await stack.prisma.checklistItem.update({ where: { registrationNo_key: { registrationNo: a.applicationNo, key: 'ID_DOCUMENT' } }, data: { submittedAt } });
    const hk = new Holidays('HK');
    const hkDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
    let expected = 0;
    for (let d = new Date(`${hkDay(submittedAt.getTime())}T12:00:00Z`).getTime() + 86400_000; hkDay(d) <= hkDay(Date.now()); d += 86400_000) {
      const day = new Date(d).getUTCDay();
      const holiday = (hk.isHoliday(new Date(`${hkDay(d)}T12:00:00+08:00`)) || []).some((h: any) => h.type === 'public');
      if (day !== 0 && day !== 6 && !holiday) expected++;
    }
    const page = await queue({ programCode: 'AGE-TEST' });
    assert.equal(page.body.items[0].ageWorkingDays, expected);
    assert.ok(expected >= 6 && expected <= 10, `12 calendar days hold 6–10 working days, got ${expected}`);
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

    // The student sees the rejection reason in their status.
    const seen = await fetchJson(reg(a.applicationNo), { bearer: a.session });
    const visa = seen.body.items.find((i: any) => i.key === 'VISA');
    assert.equal(visa.state, 'REJECTED');
    assert.match(visa.reviews.at(-1).note, /renewed/);

    const audit = await eventually(
      () => fetchJson(reg(a.applicationNo, '/audit'), { bearer: stack.officerKey }),
      (r) => r.body.items.filter((e: any) => e.actor.startsWith('staff:')).length >= 3,
    );
    const staffEvents = audit.body.items.filter((e: any) => e.actor.startsWith('staff:'));
    assert.deepEqual(staffEvents.map((e: any) => e.actor.split('.')[0]), ['staff:officer', 'staff:officer', 'staff:admin']);
    assert.ok(audit.body.items.every((e: any, i: number, all: any[]) => i === 0 || all[i - 1].seq < e.seq), 'in sequence order');
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
    const res = await fetchJson(reg(a.applicationNo, '/deadline'), { method: 'POST', bearer: stack.adminKey, json: { deadline: 'REGISTRATION', until: later, reason: 'Visa delay' } });
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
    const payment = await fetchJson(reg(a.applicationNo, '/deadline'), { method: 'POST', bearer: stack.adminKey, json: { deadline: 'PAYMENT', until: later, reason: 'x' } });
    assert.equal(payment.status, 409, 'this student has no payment deadline');
    const invalid = await fetchJson(reg(a.applicationNo, '/deadline'), { method: 'POST', bearer: stack.adminKey, json: { deadline: 'SOMETIME', until: 'tomorrow' } });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.details.issues.map((i: any) => i.path).sort(), ['deadline', 'reason', 'until']);
  });

  it('lists registrations with filters and pagination from the read model', async () => {
    const cohortId = uniq('cohort-');
    const local = await admit(stack, { cohortId, name: 'Wong Siu Ming', programCode: 'BSC-CS', studyLevel: 'UG', admissionRoute: 'JUPAS', residency: 'LOCAL' });
    const visitor = await admit(stack, { cohortId, name: 'Lee Ka Yan', programCode: 'MPHIL-PHYS', studyLevel: 'RPG', residency: 'NON_LOCAL' });
    await submit(visitor, 'VISA');
    const list = (q: Record<string, string>) => fetchJson(`${stack.url}/api/registrations?${new URLSearchParams({ cohortId, ...q })}`, { bearer: stack.officerKey });
    const all = await eventually(() => list({}), (r) => r.body.total === 2);
    assert.deepEqual(all.body.items.map((r: any) => r.applicationNo).sort(), [local.applicationNo, visitor.applicationNo].sort());
    assert.equal((await list({ programCode: 'bsc-cs' })).body.items[0].applicationNo, local.applicationNo);
    assert.equal((await list({ status: 'IN_PROGRESS' })).body.total, 2);
    assert.equal((await list({ status: 'COMPLETED' })).body.total, 0);
    assert.equal((await list({ q: 'ka yan' })).body.items[0].applicationNo, visitor.applicationNo);
    assert.equal((await list({ studyLevel: 'RPG', residency: 'NON_LOCAL' })).body.total, 1);
    const owingVisa = await eventually(() => list({ outstanding: 'VISA' }), (r) => r.body.total === 1);
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

  it('staff see the workflow link in the Temporal UI; the registration\'s own detail is live', async () => {
    const a = await admit(stack);
    const res = await fetchJson(reg(a.applicationNo), { bearer: stack.officerKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.workflowUrl, `${stack.config.temporalUiUrl}/namespaces/default/workflows/registration-${a.applicationNo}`);
  });
});
