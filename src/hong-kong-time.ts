/**
 * Hong Kong time, where the deadlines are set and the registry works: the one
 * place that names the zone, turns a calendar date into the end of that day,
 * and formats instants for readers (the emails and the portal's pages alike).
 * No Node APIs: esbuild bundles it into the browser code too.
 */
const HONG_KONG_TIME_ZONE = 'Asia/Hong_Kong';

/** Hong Kong keeps no daylight saving time: always UTC+8. */
const OFFSET = '+08:00';

/** `2027-08-20` → the last instant of that day in Hong Kong (an ISO string with its offset). */
export const endOfHongKongDay = (ymd: string): string => `${ymd}T23:59:59.999${OFFSET}`;

/** `2027-08-20` → noon of that day in Hong Kong: an instant that falls on that date in any zone near it. */
export const middayInHongKong = (ymd: string): string => `${ymd}T12:00:00${OFFSET}`;

const formats = new Map<string, Intl.DateTimeFormat>();

/** An en-GB formatter in Hong Kong time with these fields (made once per set of options). */
export function hongKongFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify(options);
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: HONG_KONG_TIME_ZONE });
    formats.set(key, f);
  }
  return f;
}

/** An instant as a Hong Kong reader expects it: "31 Dec 2026, 23:59 HKT", or with the weekday "Thu, 31 Dec 2026, 23:59 HKT". */
export function hongKongDateTime(iso: string, { weekday = false }: { weekday?: boolean } = {}): string {
  const f = hongKongFormat({
    ...(weekday ? { weekday: 'short' as const } : {}),
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  return `${f.format(new Date(iso))} HKT`;
}
