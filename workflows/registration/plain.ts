/**
 * Plain data as the registration keeps it and sends it (JSON: instants as ISO
 * strings, no undefined fields), and the bound every carried list keeps.
 */

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Drops the oldest entries beyond `kept`; returns how many were dropped. */
export function dropOldest(list: unknown[], kept: number): number {
  const excess = Math.max(0, list.length - kept);
  list.splice(0, excess);
  return excess;
}

export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
