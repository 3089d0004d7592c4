/** Hong Kong working days (pure arithmetic) and the holiday list the activity takes from date-holidays. */
import assert from 'node:assert/strict';
import { hongKongHolidays } from '../../src/calendar/holidays';
import { addWorkingDays, deadlineDate, hkDate, workingDaysBetween } from '../../workflows/registration/working-days';

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
    // The review queue has only endsAt (the read model's expectedVerificationBy): it shows the same Friday.
    assert.equal(deadlineDate(d.endsAt), '2027-04-09');
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

  describe('hand-written Hong Kong cases (dates from the gazetted general holidays, not from the library)', () => {
    // The Government's gazetted general holidays (Sundays aside), 2026 and 2027.
    const GAZETTED_2026 = [
      '2026-01-01', // The first day of January
      '2026-02-17',
      '2026-02-18',
      '2026-02-19', // Lunar New Year's Day, the second and third days
      '2026-04-03',
      '2026-04-04', // Good Friday, the day following Good Friday
      '2026-04-06', // The day following Ching Ming Festival (Sun 5 Apr)
      '2026-04-07', // The day following Easter Monday (Easter Monday falls on the day following Ching Ming)
      '2026-05-01', // Labour Day
      '2026-05-25', // The day following the Birthday of the Buddha (Sun 24 May)
      '2026-06-19', // Tuen Ng Festival
      '2026-07-01', // HKSAR Establishment Day
      '2026-09-26', // The day following the Chinese Mid-Autumn Festival (a Saturday)
      '2026-10-01', // National Day
      '2026-10-19', // The day following Chung Yeung Festival (Sun 18 Oct)
      '2026-12-25',
      '2026-12-26', // Christmas Day, the first weekday after Christmas Day (a Saturday: not moved)
    ];
    const GAZETTED_2027 = [
      '2027-01-01', // The first day of January
      '2027-02-06',
      '2027-02-08',
      '2027-02-09', // Lunar New Year's Day, the third and fourth days (the second is a Sunday)
      '2027-03-26',
      '2027-03-27',
      '2027-03-29', // Good Friday, the day following, Easter Monday
      '2027-04-05', // Ching Ming Festival
      '2027-05-01', // Labour Day (a Saturday)
      '2027-05-13', // The Birthday of the Buddha
      '2027-06-09', // Tuen Ng Festival
      '2027-07-01', // HKSAR Establishment Day
      '2027-09-16', // The day following the Chinese Mid-Autumn Festival
      '2027-10-01', // National Day
      '2027-10-08', // Chung Yeung Festival
      '2027-12-25',
      '2027-12-27', // Christmas Day (Sat), the first weekday after Christmas Day (Mon)
    ];

    it('the holiday activity gives exactly the gazetted lists of 2026 and 2027', async () => {
      assert.deepEqual(await hongKongHolidays({ fromYear: 2026, toYear: 2027 }), [...GAZETTED_2026, ...GAZETTED_2027]);
    });

    const cases = [
      { submitted: '2026-12-23T02:00:00Z', days: 5, due: '2026-12-31', why: 'Wed 23 Dec: Thu 24, (Fri 25, Sat 26 holidays) Mon 28, Tue 29, Wed 30, Thu 31' },
      { submitted: '2026-12-23T02:00:00Z', days: 3, due: '2026-12-29', why: 'a 3-day cohort: Thu 24, Mon 28, Tue 29' },
      { submitted: '2027-02-04T02:00:00Z', days: 5, due: '2027-02-15', why: 'Lunar New Year: Fri 5, (Sat 6, Mon 8, Tue 9) Wed 10, Thu 11, Fri 12, Mon 15' },
      { submitted: '2027-03-24T02:00:00Z', days: 5, due: '2027-04-02', why: 'Easter: Thu 25, (Fri 26, Sat 27, Mon 29) Tue 30, Wed 31, Thu 1, Fri 2 Apr' },
      { submitted: '2027-04-01T02:00:00Z', days: 5, due: '2027-04-09', why: 'Ching Ming: Fri 2, (Mon 5) Tue 6, Wed 7, Thu 8, Fri 9' },
    ];
    for (const c of cases) {
      it(`${c.days} working days from ${c.submitted.slice(0, 10)} → due ${c.due} (${c.why})`, async () => {
        const holidays = new Set(await hongKongHolidays({ fromYear: 2026, toYear: 2027 }));
        const d = addWorkingDays(Date.parse(c.submitted), c.days, holidays);
        assert.equal(d.date, c.due);
        assert.equal(new Date(d.endsAt).toISOString(), new Date(Date.parse(`${c.due}T16:00:00Z`)).toISOString(), 'missed from 00:00 HKT the next day');
      });
    }
  });
});
