import assert from 'node:assert/strict';
import { uniq } from '../kit/servers';
import { HOSTILE_NAME, seedDashboardCohort, type SeededCohort } from '../support/dashboard-cohort';
import { createStaffKey } from '../../src/gateway/auth/staff-keys';
import { csvCell, exportRows } from '../../src/exports/registrations';
import { fetchJson, startGateway, type TestGateway } from './support';

/** A small CSV reader for the test (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('gateway: cohort export for the student record system', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let admin: string;
  let officer: string;
  let seeded: SeededCohort;

  before(async () => {
    gw = await startGateway();
    admin = (await createStaffKey(gw.prisma, { name: uniq('admin.'), role: 'admin' })).key;
    officer = (await createStaffKey(gw.prisma, { name: uniq('officer.'), role: 'officer' })).key;
    seeded = await seedDashboardCohort(
      gw.prisma,
      uniq('export-'),
      uniq('E')
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 12),
    );
  });
  after(async () => gw?.close());

  const url = (q: Record<string, string>) => `${gw.url}/api/exports/registrations?${new URLSearchParams(q)}`;

  it('CSV: one row per student with status, outcome, each item and the card; a formula in a name is made text', async () => {
    const res = await fetch(url({ cohort: seeded.cohortId, format: 'csv' }), { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="registrations-export-/);
    const rows = parseCsv(await res.text());
    const [header, ...body] = rows;
    assert.deepEqual(header!.slice(0, 14), [
      'applicationNo',
      'name',
      'programCode',
      'studyLevel',
      'status',
      'outcomeReason',
      'outcomeAt',
      'cardReady',
      'ACTIVATION',
      'FORM',
      'ID_DOCUMENT',
      'VISA',
      'TUITION_RECEIPT',
      'PHOTO',
    ]);
    assert.deepEqual(
      body.map((r) => r[0]),
      seeded.no,
    );
    const col = (r: string[], name: string) => r[header!.indexOf(name)];

    const [s1, s2, s3, , s5, s6] = body as [string[], string[], string[], string[], string[], string[]];
    assert.deepEqual(
      [col(s1, 'status'), col(s1, 'outcomeReason'), col(s1, 'outcomeAt'), col(s1, 'cardReady'), col(s1, 'ID_DOCUMENT'), col(s1, 'VISA')],
      ['COMPLETED', 'ALL_ITEMS_VERIFIED', '2027-08-12T07:00:00.000Z', 'true', 'VERIFIED', ''],
    );
    assert.deepEqual([col(s2, 'status'), col(s2, 'outcomeReason'), col(s2, 'outcomeAt'), col(s2, 'TUITION_RECEIPT')], ['IN_PROGRESS', '', '', 'PENDING']);
    assert.equal(col(s3, 'SUPPLEMENTARY:FINAL_TRANSCRIPT'), 'PENDING');
    assert.equal(col(s3, 'VISA'), 'REJECTED');
    assert.deepEqual([col(s5, 'status'), col(s5, 'outcomeReason'), col(s5, 'outcomeAt')], ['WITHDRAWN', 'DECLINED', '2027-08-12T02:00:00.000Z']);
    // The hostile name arrives as text: a leading quote, so no spreadsheet evaluates it.
    assert.equal(col(s6, 'name'), `'${HOSTILE_NAME}`);
    assert.equal(col(s6, 'VISA'), 'WAIVED');
  });

  it('CSV starts with the UTF-8 byte order mark and carries a non-ASCII name as UTF-8, so Excel shows MÜLLER', async () => {
    const res = await fetch(url({ cohort: seeded.cohortId, format: 'csv' }), { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 4)], [0xef, 0xbb, 0xbf, 0x61], 'EF BB BF, then the header\'s "a"pplicationNo');
    // Ü is U+00DC: C3 9C in UTF-8 (not the single byte DC of Latin-1).
    const muller = Buffer.from([0x4d, 0xc3, 0x9c, 0x4c, 0x4c, 0x45, 0x52, 0x20, 0x41, 0x6e, 0x6e, 0x61]);
    const at = bytes.indexOf(muller);
    assert.ok(at > 0, 'the name MÜLLER Anna in UTF-8 bytes');
    assert.equal(bytes.indexOf(0xef, 1), -1, 'the mark appears once, at the start, not before every page');
  });

  it('every cell a spreadsheet would read as a formula is prefixed, also after a tab or carriage return', () => {
    assert.equal(csvCell('=1+2'), "'=1+2");
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-2+3'), "'-2+3");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\t=cmd'), "'\t=cmd");
    assert.equal(csvCell('\r=cmd'), '"\'\r=cmd"');
    assert.equal(csvCell('a "quoted", name'), '"a ""quoted"", name"');
    assert.equal(csvCell('CHAN Tai Man'), 'CHAN Tai Man');
    assert.equal(csvCell(null), '');
  });

  it('JSON: an array of the same rows, items by key', async () => {
    const res = await fetchJson(url({ cohort: seeded.cohortId, format: 'json' }), { bearer: admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 6);
    assert.equal(res.body[5].name, HOSTILE_NAME, 'JSON is data, not a spreadsheet: the name is kept as it is');
    assert.deepEqual(res.body[2].items, {
      ACTIVATION: 'VERIFIED',
      FORM: 'VERIFIED',
      ID_DOCUMENT: 'SUBMITTED',
      VISA: 'REJECTED',
      PHOTO: 'SUBMITTED',
      'SUPPLEMENTARY:FINAL_TRANSCRIPT': 'PENDING',
    });
  });

  it('reads the cohort in keyset pages: every student once, in order, whatever the page size', async () => {
    const pages: string[][] = [];
    for await (const page of exportRows(gw.prisma, seeded.cohortId, 4)) pages.push(page.map((r) => r.applicationNo));
    assert.deepEqual(pages, [seeded.no.slice(0, 4), seeded.no.slice(4)]);
  });

  it('admins only; an unknown cohort is 404; a missing cohort or a bad format is 400', async () => {
    assert.equal((await fetchJson(url({ cohort: seeded.cohortId }), { bearer: officer })).status, 403);
    assert.equal((await fetchJson(url({ cohort: 'no-such-cohort' }), { bearer: admin })).status, 404);
    assert.equal((await fetchJson(url({}), { bearer: admin })).status, 400);
    assert.equal((await fetchJson(url({ cohort: seeded.cohortId, format: 'xlsx' }), { bearer: admin })).status, 400);
  });
});
