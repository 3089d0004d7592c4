/** Hong Kong working days (pure arithmetic) and the holiday list the activity takes from date-holidays. */
import assert from 'node:assert/strict';
import { hongKongHolidays } from '../../activities/holidays';
import { addWorkingDays, hkDate, workingDaysBetween } from '../../workflows/registration/working-days';

// Easter 2027 in Hong Kong: Good Friday 26 Mar, the day after 27 Mar, Easter Monday 29 Mar; Ching Ming Monday 5 Apr.
const easter2027 = new Set(['2027-03-26', '2027-03-27', '2027-03-29', '2027-04-05']);

describe('Hong Kong working days', () => {
  it('the Hong Kong date of an instant is UTC+8', () => {
    assert.equal(hkDate(Date.parse('2027-04-01T15:59:59Z')), '2027-04-01');
    assert.equal(hkDate(Date.parse('2027-04-01T16:00:00Z')), '2027-04-02');
  });

  it('5 working days from a Thursday skip the weekend and a Monday holiday: due by the end of the next Friday (HKT)', () => {
    const d = addWorkingDays(Date.parse('2027-04-01T02:00:00Z'), 5, easter2027); // Thu 10:00 HKT
    assert.equal(d.date, '2027-04-09');
    assert.equal(new Date(d.endsAt).toISOString(), '2027-04-09T16:00:00.000Z'); // Sat 00:00 HKT
  });

  it('the day of submission never counts, whatever the hour; a late-evening UTC time is already the next day in Hong Kong', () => {
    // Thu 17:00 UTC is Fri 01:00 HKT: Fri does not count; Mon 5 Apr is a holiday; Tue..Fri, Mon.
    assert.equal(addWorkingDays(Date.parse('2027-04-01T17:00:00Z'), 5, easter2027).date, '2027-04-12');
  });

  it('a submission on a Saturday starts counting on Monday; Easter holidays do not count', () => {
    // Sat 20 Mar: Mon 22 (1) Tue (2) Wed (3) Thu (4), Fri 26 Good Friday, weekend, Mon 29 Easter Monday, Tue 30 (5).
    assert.equal(addWorkingDays(Date.parse('2027-03-20T03:00:00Z'), 5, easter2027).date, '2027-03-30');
    assert.equal(addWorkingDays(Date.parse('2027-03-20T03:00:00Z'), 5, new Set()).date, '2027-03-26');
  });

  it('working days between two instants (the review queue age)', () => {
    assert.equal(workingDaysBetween(Date.parse('2027-04-01T02:00:00Z'), Date.parse('2027-04-09T02:00:00Z'), easter2027), 5);
    assert.equal(workingDaysBetween(Date.parse('2027-04-01T02:00:00Z'), Date.parse('2027-04-01T09:00:00Z'), easter2027), 0);
  });

  it('the holiday activity lists Hong Kong public holidays (substitute days included) from date-holidays', async () => {
    const dates = await hongKongHolidays({ fromYear: 2027, toYear: 2028 });
    for (const d of ['2027-01-01', '2027-03-26', '2027-03-29', '2027-04-05', '2027-07-01', '2027-12-25', '2027-12-27', '2028-01-26']) {
      assert.ok(dates.includes(d), `${d} is a holiday`);
    }
    assert.ok(!dates.includes('2027-03-30'));
    assert.deepEqual(dates, [...new Set(dates)].sort(), 'sorted, no duplicates');
  });
});
