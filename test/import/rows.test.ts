/** Import rows: deadlines are validated alike (registration and payment), reported with the row's line and reason. */
import assert from 'node:assert/strict';
import { parseCsvImport, parseJsonImport } from '../../src/import/rows';

const NOW = Date.parse('2026-11-26T04:00:00Z');
const header = 'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,paymentDeadline';
const row = (no: string, cohort: string, registration: string, payment: string) =>
  `${no},Chan Tai Man,${no.toLowerCase()}@example.com,BSC-CS,UG,NON_JUPAS,LOCAL,${cohort},${registration},${payment}`;

/** An import file of these rows under `head`, parsed as the gateway does at NOW. */
const parseRows = (head: string, rows: string[], options: Parameters<typeof parseCsvImport>[1] = {}) =>
  parseCsvImport([head, ...rows].join('\n'), options, NOW);

describe('import rows: deadlines', () => {
  it('a payment deadline that has passed, or is malformed, rejects the row with its line and reason', () => {
    const parsed = parseRows(header, [
      row('A0001', 'c-ok', '2027-08-31', '2027-08-20'),
      row('A0002', 'c-past', '2027-08-31', '2026-11-25'),
      row('A0003', 'c-bad', '2027-08-31', '2027-02-30'),
      row('A0004', 'c-word', '2027-08-31', 'next week'),
    ]);
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
    const parsed = parseRows(header, [row('A0005', 'c', '2027-02-30', '')]);
    assert.equal(parsed.students.length, 0);
    assert.match(parsed.rejected[0]!.reasons.join(), /registrationDeadline: must be a date/);
  });
});

describe('import rows: application numbers', () => {
  it('are stored in upper case, so "a0007x" and "A0007X" are one student (the second a duplicate)', () => {
    const parsed = parseRows(header, [row('a0007x', 'c-case', '2027-08-31', '2027-08-20'), row('A0007X', 'c-case', '2027-08-31', '2027-08-20')]);
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

describe('import rows: the tuition fee', () => {
  // Only local non-JUPAS undergraduates owe the fee through registration (docs/domain.md, The items).
  const feeHeader = `${header},tuitionFee`;
  const student = (no: string, level: string, route: string, residency: string, fee: string) =>
    `${no},Lee Ka Yan,${no.toLowerCase()}@example.com,BSC-MATH,${level},${route},${residency},c-fee,2027-08-31,2027-08-20,${fee}`;

  it('a student who owes the fee without one, in an import without a cohort fee, is named by line for refusal', () => {
    const parsed = parseRows(feeHeader, [
      student('F0001', 'UG', 'NON_JUPAS', 'LOCAL', '42100 HKD'),
      student('F0002', 'UG', 'NON_JUPAS', 'LOCAL', ''),
      student('F0003', 'UG', 'JUPAS', 'LOCAL', ''),
    ]);
    assert.deepEqual(parsed.unknownFees, [
      { line: 3, applicationNo: 'F0002', field: 'tuitionFee', message: 'the student owes the tuition fee and no fee is known' },
    ]);
  });

  it("a row's fee is that student's fee in the workflow input; a student who owes none needs none", () => {
    const parsed = parseRows(feeHeader, [
      student('F0011', 'UG', 'NON_JUPAS', 'LOCAL', '44500 hkd'),
      student('F0012', 'TPG', '', 'NON_LOCAL', ''),
      student('F0013', 'UG', 'NON_JUPAS', 'NON_LOCAL', ''),
    ]);
    assert.deepEqual(parsed.unknownFees, []);
    assert.deepEqual(parsed.rejected, []);
    assert.deepEqual(
      parsed.students.map((s) => [s.student.applicationNo, s.policy.tuitionFee]),
      [
        ['F0011', { amount: 44500, currency: 'HKD' }],
        ['F0012', undefined],
        ['F0013', undefined],
      ],
    );
    // The row's fee is the student's, not the cohort's: a later import of the cohort compares no per-row fee.
    assert.equal(parsed.cohorts[0]!.policy.tuitionFee, undefined);
  });

  it("the import's cohort fee covers rows without one, and a row's own fee overrides it", () => {
    const parsed = parseRows(feeHeader, [student('F0021', 'UG', 'NON_JUPAS', 'LOCAL', ''), student('F0022', 'UG', 'NON_JUPAS', 'LOCAL', '30000 HKD')], {
      tuitionFee: { amount: 42100, currency: 'HKD' },
    });
    assert.deepEqual(parsed.unknownFees, []);
    assert.deepEqual(
      parsed.students.map((s) => s.policy.tuitionFee),
      [
        { amount: 42100, currency: 'HKD' },
        { amount: 30000, currency: 'HKD' },
      ],
    );
  });

  it('a fee that is not an amount and a currency rejects its row, with the field', () => {
    const parsed = parseRows(feeHeader, [
      student('F0031', 'UG', 'NON_JUPAS', 'LOCAL', '"42,100"'),
      student('F0032', 'UG', 'NON_JUPAS', 'LOCAL', '0 HKD'),
      student('F0033', 'UG', 'NON_JUPAS', 'LOCAL', 'HKD'),
    ]);
    assert.deepEqual(parsed.students, []);
    assert.deepEqual(
      parsed.rejected.map((r) => [r.line, r.reasons.join(' | ')]),
      [
        [2, 'tuitionFee: an amount and its currency, e.g. "42100 HKD"'],
        [3, 'tuitionFee.amount: must be more than 0'],
        [4, 'tuitionFee: an amount and its currency, e.g. "42100 HKD"'],
      ],
    );
  });

  const jsonStudent = (applicationNo: string, extra: object = {}) => ({
    applicationNo,
    name: 'Lee Ka Yan',
    personalEmail: `${applicationNo.toLowerCase()}@example.com`,
    programCode: 'BSC-MATH',
    studyLevel: 'UG',
    admissionRoute: 'NON_JUPAS',
    residency: 'LOCAL',
    cohortId: 'c-json-fee',
    registrationDeadline: '2027-08-31',
    ...extra,
  });

  it('JSON rows take the fee as the policy writes it, { amount, currency }', () => {
    const parsed = parseJsonImport([jsonStudent('F0041', { tuitionFee: { amount: 42100, currency: 'HKD' } }), jsonStudent('F0042')], {}, NOW);
    assert.deepEqual(parsed.students[0]!.policy.tuitionFee, { amount: 42100, currency: 'HKD' });
    assert.deepEqual(
      parsed.unknownFees.map((r) => [r.line, r.applicationNo, r.field]),
      [[2, 'F0042', 'tuitionFee']],
    );
  });
});
