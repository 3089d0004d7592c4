/** Import rows: deadlines are validated alike (registration and payment), reported with the row's line and reason. */
import assert from 'node:assert/strict';
import { parseCsvImport } from '../../src/import/rows';

const NOW = Date.parse('2026-11-26T04:00:00Z');
const header = 'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,paymentDeadline';
const row = (no: string, cohort: string, registration: string, payment: string) =>
  `${no},Chan Tai Man,${no.toLowerCase()}@example.com,BSC-CS,UG,NON_JUPAS,LOCAL,${cohort},${registration},${payment}`;

describe('import rows: deadlines', () => {
  it('a payment deadline that has passed, or is malformed, rejects the row with its line and reason', () => {
    const csv = [
      header,
      row('A0001', 'c-ok', '2027-08-31', '2027-08-20'),
      row('A0002', 'c-past', '2027-08-31', '2026-11-25'),
      row('A0003', 'c-bad', '2027-08-31', '2027-02-30'),
      row('A0004', 'c-word', '2027-08-31', 'next week'),
    ].join('\n');
    const parsed = parseCsvImport(csv, {}, NOW);
    assert.deepEqual(
      parsed.students.map((s) => s.student.applicationNo),
      ['A0001'],
    );
    assert.equal(parsed.students[0]!.policy.paymentDeadline, '2027-08-20T15:59:59.999Z');
    const byLine = Object.fromEntries(parsed.rejected.map((r) => [r.line, r.reasons.join(' | ')]));
    assert.deepEqual(Object.keys(byLine).map(Number), [3, 4, 5]);
    assert.equal(byLine[3], 'paymentDeadline: has already passed');
    assert.match(byLine[4]!, /^paymentDeadline: must be a date/);
    assert.match(byLine[5]!, /^paymentDeadline: must be a date/);
  });

  it('a registration deadline off the calendar (30 February) is malformed too, not rolled over to March', () => {
    const parsed = parseCsvImport([header, row('A0005', 'c', '2027-02-30', '')].join('\n'), {}, NOW);
    assert.equal(parsed.students.length, 0);
    assert.match(parsed.rejected[0]!.reasons.join(), /registrationDeadline: must be a date/);
  });
});

describe('import rows: application numbers', () => {
  it('are stored in upper case, so "a0007x" and "A0007X" are one student (the second a duplicate)', () => {
    const parsed = parseCsvImport(
      [header, row('a0007x', 'c-case', '2027-08-31', '2027-08-20'), row('A0007X', 'c-case', '2027-08-31', '2027-08-20')].join('\n'),
      {},
      NOW,
    );
    assert.deepEqual(
      parsed.students.map((s) => s.student.applicationNo),
      ['A0007X'],
    );
    assert.deepEqual(
      parsed.rejected.map((r) => [r.line, r.reasons.join(' | ')]),
      [[3, 'applicationNo: duplicate of line 2']],
    );
  });
});
