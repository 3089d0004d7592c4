/**
 * Hong Kong public holidays, from the maintained `date-holidays` data: the one
 * calendar behind every count of working days. The registration workflow asks
 * for it through an activity (the library is large, and recording its answer in
 * history keeps running workflows deterministic when the data is updated); the
 * gateway's review queue and dashboard read it here directly.
 */
import type Holidays from 'date-holidays';
import { hkYear } from '../../workflows/registration/working-days';

/**
 * Loaded on first use: the library holds every country's rules (about 10 MB), and a
 * gateway serving only students' pages never counts working days.
 */
let hongKong: Holidays | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use, as said above
const calendar = (): Holidays => (hongKong ??= new (require('date-holidays') as typeof import('date-holidays').default)('HK'));

/** Public holidays (including substitute days) of the years given, as Hong Kong dates `YYYY-MM-DD`. */
export async function hongKongHolidays({ fromYear, toYear }: { fromYear: number; toYear: number }): Promise<string[]> {
  const dates: string[] = [];
  for (let year = fromYear; year <= toYear; year++) {
    for (const h of calendar().getHolidays(year, 'en')) if (h.type === 'public') dates.push(h.date.slice(0, 10));
  }
  return [...new Set(dates)].sort();
}

/** Holidays change once a year; a process keeps each span it was asked for. */
const spans = new Map<string, Promise<Set<string>>>();

/** The holidays of the Hong Kong years from `fromMs` to `toMs`, as a set for working-day counts. */
export function holidaysBetween(fromMs: number, toMs: number): Promise<Set<string>> {
  const key = `${hkYear(fromMs)}-${hkYear(toMs)}`;
  if (!spans.has(key))
    spans.set(
      key,
      hongKongHolidays({ fromYear: hkYear(fromMs), toYear: hkYear(toMs) }).then((d) => new Set(d)),
    );
  return spans.get(key)!;
}
