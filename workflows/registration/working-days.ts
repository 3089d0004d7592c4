/**
 * Hong Kong working days, as pure arithmetic over a list of public holidays.
 * The holiday list itself comes from the `date-holidays` library through an
 * activity (the library is 12 MB of data and has no place in the workflow
 * sandbox; recording its answer in history also keeps a running workflow
 * deterministic when the library is upgraded). Hong Kong has no daylight saving,
 * so its local date is UTC+8 throughout.
 */

const HK_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A Hong Kong calendar date, `YYYY-MM-DD`. */
export type HkDate = string;

/** The Hong Kong calendar date of an instant. */
export const hkDate = (ms: number): HkDate => new Date(ms + HK_OFFSET_MS).toISOString().slice(0, 10);

/** The instant a Hong Kong calendar date begins (00:00 HKT). */
export const hkStartOf = (date: HkDate): number => Date.parse(`${date}T00:00:00.000Z`) - HK_OFFSET_MS;

export const hkYear = (ms: number): number => Number(hkDate(ms).slice(0, 4));

const nextDate = (date: HkDate): HkDate => hkDate(hkStartOf(date) + DAY_MS);

function isWorkingDay(date: HkDate, holidays: ReadonlySet<HkDate>): boolean {
  const weekday = new Date(`${date}T00:00:00.000Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(date);
}

export interface WorkingDayDeadline {
  /** The n-th working day after the day of `from` (that day itself never counts). */
  date: HkDate;
  /** When that day ends in Hong Kong: the service level is missed from this instant on. */
  endsAt: number;
}

/** The end of the n-th Hong Kong working day after the day of `fromMs`. */
export function addWorkingDays(fromMs: number, n: number, holidays: ReadonlySet<HkDate>): WorkingDayDeadline {
  let date = hkDate(fromMs);
  for (let counted = 0; counted < n;) {
    date = nextDate(date);
    if (isWorkingDay(date, holidays)) counted++;
  }
  return { date, endsAt: hkStartOf(nextDate(date)) };
}

/**
 * The Hong Kong date a working-day deadline falls on, from the instant it ends (`endsAt` above, kept
 * alone in the read model): the day before the one that begins at `endsAt`, which is the `date` that
 * addWorkingDays gave with it. The review queue reads its "due by" this way from the read model; the
 * student's and staff's detail pages show the workflow's own `sla.date`; both are the same day.
 */
export const deadlineDate = (endsAtMs: number): HkDate => hkDate(endsAtMs - 1);

/** Whole working days between two instants (the review queue's "age"): days after `fromMs`'s day up to `toMs`'s day. */
export function workingDaysBetween(fromMs: number, toMs: number, holidays: ReadonlySet<HkDate>): number {
  let days = 0;
  for (let date = hkDate(fromMs), end = hkDate(toMs); date < end;) {
    date = nextDate(date);
    if (isWorkingDay(date, holidays)) days++;
  }
  return days;
}
