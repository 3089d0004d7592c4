/**
 * One date for one service level (docs/domain.md, "Policy numbers"): the student's "Expect a result
 * by" and the staff's "Due by" (review queue and student page) name the same Hong Kong day, the
 * last working day of the cohort's verification service level counted from the submission's day.
 *
 * The holiday calendar the workflow records is replaced by one the test writes: tomorrow (Hong
 * Kong) is a holiday. With a service level of one working day the expected day is then the first
 * Monday-to-Friday after tomorrow, which the test works out by hand below (weekday arithmetic
 * only, no code of the product's).
 */
import assert from 'node:assert/strict';
import { admit, startStack, uploadFile } from '../gateway/support';
import { aPdf } from '../kit/samples';
import { uniq } from '../kit/servers';
import { expectAccessible } from './axe';
import { item, openSignInLink } from './chromium';
import { browserSuite } from './suite';

const WAIT = { timeout: 30_000 };
const DAY = 86_400_000;
/** Today's Hong Kong date as `YYYY-MM-DD` plus `n` days (Hong Kong is UTC+8 all year). */
const hkDay = (n: number) => new Date(Date.now() + 8 * 3600_000 + n * DAY).toISOString().slice(0, 10);
const weekday = (ymd: string) => new Date(`${ymd}T00:00:00Z`).getUTCDay();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "Mon 14 Dec 2026" (with or without the comma a locale puts after the weekday). */
const shown = (ymd: string) => {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  return new RegExp(`${WEEKDAYS[weekday(ymd)]},? ${d} ${MONTHS[m - 1]} ${y}`);
};

describe('one service-level date on the student and staff pages (real browser)', function () {
  this.timeout(180_000);
  const holiday = hkDay(1);
  const ui = browserSuite('dates', {
    start: () => startStack({}, { activities: (real) => ({ ...real, hongKongHolidays: async () => [holiday] }) }),
  });

  it('a submission today, tomorrow a holiday, 1 working day: both pages say the first weekday after tomorrow', async () => {
    // By hand: tomorrow does not count (holiday), nor does a Saturday or Sunday after it.
    let expected = hkDay(2);
    for (let n = 3; weekday(expected) === 0 || weekday(expected) === 6; n++) expected = hkDay(n);

    const a = await admit(ui.stack, { cohortId: uniq('cohort-dates-'), name: 'Ho Wing Sze' }, { verificationSlaWorkingDays: 1 });
    const up = await uploadFile(`${ui.stack.url}/api/registrations/${a.applicationNo}/items/ID_DOCUMENT/documents`, aPdf(), 'id.pdf', {
      bearer: a.session,
      type: 'application/pdf',
    });
    assert.equal(up.status, 201, JSON.stringify(up.body));

    const student = await ui.newPage({ width: 390, height: 844 });
    await openSignInLink(student, `${ui.stack.config.publicBaseUrl}/invite?token=${a.inviteToken}`);
    const step = item(student, 'ID_DOCUMENT', 'SUBMITTED');
    await step.waitFor(WAIT);
    assert.match(await step.innerText(), new RegExp(`Expect a result by ${shown(expected).source}`));

    const staff = ui.page;
    await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/`);
    await staff.fill('#api-key', ui.stack.officerKey);
    await staff.click('button[type=submit]');
    await staff.getByRole('heading', { name: 'Cohort dashboard' }).waitFor(WAIT);
    await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/queue?cohortId=${encodeURIComponent(a.student.cohortId)}`);
    const row = staff.locator(`tr[data-application="${a.applicationNo}"][data-item="ID_DOCUMENT"]`);
    await row.waitFor(WAIT);
    assert.match(await row.locator('td[data-due]').innerText(), shown(expected));
    await expectAccessible(staff, 'review queue with a due date');

    await staff.goto(`${ui.stack.config.publicBaseUrl}/staff/registrations/${a.applicationNo}`);
    const card = staff.locator('#review-ID_DOCUMENT');
    await card.waitFor(WAIT);
    assert.match(await card.innerText(), new RegExp(`due by ${shown(expected).source}`));
  });
});
