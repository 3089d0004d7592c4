/**
 * The import's file check and preview (docs/gateway.md, "Cohort import"): the file type is judged
 * from the bytes (a letter saved as .xlsx, a ZIP, an empty CSV are refused with what they are), a
 * preview says what the import would do and starts nothing, and the confirmed import is exactly the
 * checked file. Raw bytes through multipart and text/csv, as a browser or a script sends them.
 */
import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { eventually, fetchJson, startStack, uploadFile, type TestStack } from './support';

const HEADER = 'applicationNo,name,personalEmail,programCode,studyLevel,admissionRoute,residency,cohortId,registrationDeadline,paymentDeadline,supplementary';
const BOM = '\uFEFF';

/** A ZIP of stored (uncompressed) entries, as an .xlsx is laid out: the bytes file-type reads. */
function storedZip(entries: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(entries).map(([name, text]) => {
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt32LE(text.length, 18);
      header.writeUInt32LE(text.length, 22);
      header.writeUInt16LE(name.length, 26);
      return Buffer.concat([header, Buffer.from(name), Buffer.from(text)]);
    }),
  );
}

describe('gateway: cohort import preview and file types', function () {
  this.timeout(180_000);
  let stack: TestStack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const preview = (bytes: Buffer, name: string) => uploadFile(`${stack.url}/api/imports/preview`, bytes, name, { bearer: stack.adminKey });
  const importFile = (bytes: Buffer, name: string, query = '') => uploadFile(`${stack.url}/api/imports${query}`, bytes, name, { bearer: stack.adminKey });
  const registered = async (no: string) => (await fetchJson(`${stack.url}/api/registrations/${no}`, { bearer: stack.adminKey })).status === 200;
  const jobsOf = (sha256: string) => stack.prisma.importJob.count({ where: { sha256 } });

  it('a text file named .xlsx, ZIP bytes named .xlsx, a workbook, an old .xls, a UTF-16 file, a Latin-1 file and an empty file: 415 with what they are, on preview and import', async () => {
    const letter = Buffer.from('Dear Registry,\nplease find the admitted students attached.\nRegards\n');
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml')]);
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]);
    const latin1 = Buffer.from(`${HEADER}\nA1234,M\xdcLLER Lena,l@example.com,BSC,UG,JUPAS,LOCAL,c,2099-08-31,,\n`, 'latin1');
    const xlsx = storedZip({
      '[Content_Types].xml':
        '<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
      'xl/workbook.xml': '<workbook/>',
    });
    const utf16 = Buffer.from(`${BOM}${HEADER}\n`, 'utf16le');
    const cases: Array<[Buffer, string, string]> = [
      [letter, 'cohort.xlsx', 'text-without-header'],
      [zip, 'cohort.xlsx', 'zip'],
      [xls, 'cohort.xls', 'ole'],
      [xlsx, 'cohort.xlsx', 'zip'],
      [utf16, 'cohort.csv', 'binary'],
      [latin1, 'cohort.csv', 'not-utf8'],
    ];
    for (const [bytes, name, detected] of cases) {
      for (const send of [preview, importFile]) {
        const res = await send(bytes, name);
        assert.equal(res.status, 415, `${name} (${detected}): ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'UNSUPPORTED_MEDIA_TYPE');
        assert.equal(res.body.details.detected, detected);
        assert.doesNotMatch(res.body.message, /0 rows|Done/);
      }
    }
    assert.match((await preview(zip, 'cohort.xlsx')).body.message, /ZIP archive, such as an Excel workbook/);
    assert.match(
      (await preview(xlsx, 'cohort.xlsx')).body.message,
      /^The file is an Excel workbook \(\.xlsx\), not a CSV file\. Save the sheet as "CSV UTF-8"/,
    );
    assert.match((await preview(xls, 'cohort.xls')).body.message, /old Excel workbook \(\.xls\)/);
    // The same letter posted as text/csv is refused the same way: the type comes from the bytes, not the header.
    const asCsv = await fetchJson(`${stack.url}/api/imports`, {
      method: 'POST',
      bearer: stack.adminKey,
      headers: { 'content-type': 'text/csv' },
      body: letter.toString(),
    });
    assert.equal(asCsv.status, 415);
    // A header and no student: refused, not "Import finished · 0 rows".
    const headerOnly = await importFile(Buffer.from(`${HEADER}\n`), 'cohort.csv');
    assert.equal(headerOnly.status, 400, JSON.stringify(headerOnly.body));
    assert.match(headerOnly.body.message, /no student rows/);
    assert.equal(await stack.prisma.importJob.count({ where: { total: 0 } }), 0);
  });

  it('a CSV with a byte order mark: the preview counts new, already registered, refused rows in words and emails, and starts nothing; the confirmed import is that file', async () => {
    const p = uniq('P')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '');
    const cohort = uniq('c-preview-');
    const row = (no: string, name: string, email: string) => `${no},${name},${email},BSC-COMP,UG,JUPAS,LOCAL,${cohort},2099-08-31,,`;
    const first = `${BOM}${HEADER}\n${row(`${p}1`, 'CHAN Tai Man', 'tm@example.com')}\n`;
    const done = await importFile(Buffer.from(first), 'first.csv', '?wait=true');
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.started, 1);
    // The preview counts the students the read model holds: the first import's registration is there once its first
    // projection lands (a wait=true import answers once the starts are made, seconds before that under load).
    await eventually(
      () => stack.prisma.registration.count({ where: { applicationNo: `${p}1` } }),
      (n) => n === 1,
    );

    const file = Buffer.from(
      `${BOM}${HEADER}\n${row(`${p}1`, 'CHAN Tai Man', 'tm@example.com')}\n${row(`${p}2`, 'LEE Ka Yan', 'ky@example.com')}\n${row(`${p}3`, '', 'nobody@example.com')}\n${row(`${p}4`, 'WONG Siu', 'not-an-email')}\n`,
    );
    const res = await preview(file, 'cohort.csv');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.total, 4);
    assert.equal(res.body.newRegistrations, 1);
    assert.deepEqual(res.body.alreadyRegistered, [`${p}1`]);
    assert.equal(res.body.invitationEmails, 1);
    assert.deepEqual(res.body.cohortIds, [cohort]);
    assert.deepEqual(res.body.refused, [
      { line: 4, applicationNo: `${p}3`, reasons: ['name: is missing'] },
      { line: 5, applicationNo: `${p}4`, reasons: ['personalEmail: is not an email address'] },
    ]);
    assert.match(res.body.sha256, /^[0-9a-f]{64}$/);
    // Nothing started, nothing recorded.
    assert.equal(await registered(`${p}2`), false);
    assert.equal(await jobsOf(res.body.sha256), 0);

    // Confirming with the hash of another file imports nothing.
    const other = await importFile(Buffer.from(`${HEADER}\n${row(`${p}2`, 'LEE Ka Yan', 'ky@example.com')}\n`), 'cohort.csv', `?sha256=${res.body.sha256}`);
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal(other.body.code, 'IMPORT_CHANGED');
    assert.equal(await registered(`${p}2`), false);

    const confirmed = await importFile(file, 'cohort.csv', `?sha256=${res.body.sha256}&wait=true`);
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.deepEqual([confirmed.body.started, confirmed.body.existing, confirmed.body.rejected.length], [1, 1, 2]);
    assert.equal(confirmed.body.sha256, res.body.sha256);
    assert.equal(await registered(`${p}2`), true);
  });

  it('a JSON file: the same preview', async () => {
    const p = uniq('J')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '');
    const cohort = uniq('c-json-');
    const student = (no: string, level: string) => ({
      applicationNo: no,
      name: 'HO Wing',
      personalEmail: `${no.toLowerCase()}@example.com`,
      programCode: 'MSC-IT',
      studyLevel: level,
      residency: 'NON_LOCAL',
      cohortId: cohort,
      registrationDeadline: '2099-08-31',
    });
    const json = Buffer.from(JSON.stringify({ students: [student(`${p}1`, 'TPG'), student(`${p}2`, 'PG')] }));
    const res = await preview(json, 'students.json');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.total, res.body.newRegistrations, res.body.invitationEmails, res.body.alreadyRegistered], [2, 1, 1, []]);
    assert.deepEqual(res.body.refused, [{ line: 2, applicationNo: `${p}2`, reasons: ['studyLevel: must be one of UG, TPG, RPG'] }]);
    assert.equal(await registered(`${p}1`), false);
    assert.equal(res.body.refusedWhole, null);

    // A local non-JUPAS undergraduate owes the tuition fee: without a known fee the import would be refused whole.
    const owes = { ...student(`${p}3`, 'UG'), admissionRoute: 'NON_JUPAS', residency: 'LOCAL' };
    const blocked = await preview(Buffer.from(JSON.stringify({ students: [student(`${p}1`, 'TPG'), owes] })), 'students.json');
    assert.equal(blocked.status, 200, JSON.stringify(blocked.body));
    assert.deepEqual(blocked.body.refusedWhole.rows, [
      { line: 2, applicationNo: `${p}3`, reasons: ['tuitionFee: the student owes the tuition fee and no fee is known'] },
    ]);
    assert.match(blocked.body.refusedWhole.reason, /owes the tuition fee but has no known fee/);
  });

  it('the hash confirms the policy sent with the rows too: the same rows with another tuition fee are not what was checked (409), the same policy in another key order is', async () => {
    const p = uniq('K')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '');
    const cohort = uniq('c-fee-');
    // A local non-JUPAS undergraduate owes the tuition fee: the import's policy says how much.
    const students = [
      {
        applicationNo: `${p}1`,
        name: 'WONG Siu Ming',
        personalEmail: `${p.toLowerCase()}1@example.com`,
        programCode: 'BSC-CS',
        studyLevel: 'UG',
        admissionRoute: 'NON_JUPAS',
        residency: 'LOCAL',
        cohortId: cohort,
        registrationDeadline: '2099-08-31',
      },
    ];
    const body = (policy: Record<string, unknown>) => Buffer.from(JSON.stringify({ students, policy }));
    const checked = await preview(body({ tuitionFee: { amount: 42100, currency: 'HKD' } }), 'students.json');
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
    assert.equal(checked.body.refusedWhole, null);

    const dearer = await importFile(body({ tuitionFee: { amount: 99999, currency: 'HKD' } }), 'students.json', `?sha256=${checked.body.sha256}`);
    assert.equal(dearer.status, 409, JSON.stringify(dearer.body));
    assert.equal(dearer.body.code, 'IMPORT_CHANGED');
    assert.equal(await registered(`${p}1`), false);

    const same = await importFile(body({ tuitionFee: { currency: 'HKD', amount: 42100 } }), 'students.json', `?sha256=${checked.body.sha256}&wait=true`);
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.started, 1);
    const stored = await stack.prisma.cohort.findUniqueOrThrow({ where: { id: cohort } });
    assert.deepEqual((stored.policy as { tuitionFee?: unknown }).tuitionFee, { amount: 42100, currency: 'HKD' });
  });
});
