/**
 * Hong Kong public holidays from the maintained `date-holidays` data, for the
 * verification service level. An activity, not workflow code: the library is
 * large, and recording its answer in history keeps running workflows
 * deterministic when the data is updated.
 */
import Holidays from 'date-holidays';

const hongKong = new Holidays('HK');

/** Public holidays (including substitute days) of the years given, as Hong Kong dates `YYYY-MM-DD`. */
export async function hongKongHolidays({ fromYear, toYear }: { fromYear: number; toYear: number }): Promise<string[]> {
  const dates: string[] = [];
  for (let year = fromYear; year <= toYear; year++) {
    for (const h of hongKong.getHolidays(year, 'en')) if (h.type === 'public') dates.push(h.date.slice(0, 10));
  }
  return [...new Set(dates)].sort();
}
