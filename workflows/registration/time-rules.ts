/**
 * The time rules of a registration as pure functions of its records: which
 * deadline an item answers to, when a rejected item's resubmission window
 * closes, which reminders are due, which windows have lapsed, which
 * verifications are overdue, and the next moment any of these can change.
 * time-actions.ts applies them (records the events, decides the emails);
 * docs/domain.md states the rules.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import type { Deadline, DeadlineKind, ItemRecord } from './records';
import type { CohortPolicy, PolicyNumbers } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;

export type Deadlines = Partial<Record<DeadlineKind, Deadline>>;

/** The resubmission window in milliseconds. */
export const windowMs = (policy: CohortPolicy): number => msToNumber(policy.resubmissionWindow);

/** How long before each deadline a reminder goes out, in milliseconds. */
export const reminderOffsets = (policy: CohortPolicy): number[] => policy.reminderOffsets.map((o) => msToNumber(o));

/** The registration deadline, then the payment deadline if the registration has one. */
export function deadlineEntries(deadlines: Deadlines): [DeadlineKind, Deadline][] {
  return (['REGISTRATION', 'PAYMENT'] as const).flatMap((k) => (deadlines[k] ? [[k, deadlines[k]!] as [DeadlineKind, Deadline]] : []));
}

/** The deadline an item is compulsory by (the fee without a payment deadline is due by the registration deadline). */
export function deadlineOf(item: Pick<ItemRecord, 'dueBy'>, deadlines: Deadlines): Deadline | undefined {
  return item.dueBy ? (deadlines[item.dueBy] ?? deadlines.REGISTRATION!) : undefined;
}

/**
 * A rejected compulsory item must be put right by its deadline, and never in
 * less than the resubmission window: a rejection after (or just before) the
 * deadline opens the window from the moment of rejection. One window per
 * item: a second rejection does not open another, so a case cannot run on
 * without end (docs/domain.md). Derived from the deadline, so an extension
 * moves it too. The registry's time is not the student's: while it holds a
 * replacement handed in inside the window, the window's clock stands still.
 * Non-compulsory items may follow later: no window.
 */
export function resubmitBy(item: ItemRecord, deadlines: Deadlines, window: number): number | undefined {
  if (!item.compulsory || item.rejectedAt === undefined || !item.dueBy) return undefined;
  const deadline = deadlineOf(item, deadlines)!;
  // The window's clock stood still while the registry held a replacement (heldMs).
  return Math.max(deadline.at, item.windowFrom === undefined ? -Infinity : item.windowFrom + window + (item.heldMs ?? 0));
}

/** A rejection now opens the item's window: compulsory, no window yet, and the window would reach past the deadline. */
export function opensWindow(item: ItemRecord, deadlines: Deadlines, window: number, now: number): boolean {
  const deadline = deadlineOf(item, deadlines);
  return item.compulsory && !!deadline && item.windowFrom === undefined && now + window > deadline.at;
}

/**
 * The reminder offsets of a deadline that are due now and not yet sent for its current date; offsets that fell
 * before the date was set are never due (the invitation or the extension just told the student).
 */
export function dueReminders(d: Deadline, offsets: number[], now: number): number[] {
  if (d.passed || now >= d.at) return [];
  return offsets.filter((o) => d.at - o <= now && d.at - o >= d.setAt && !d.reminded.includes(reminderMark(d, o)));
}

/** How a sent reminder is remembered: `<deadline ms>/<offset ms>`, so an extension re-arms it for the new date. */
export const reminderMark = (d: Deadline, offset: number): string => `${d.at}/${offset}`;

/** Rejected items whose resubmission window has closed. */
export function lapsedWindows(items: ItemRecord[], deadlines: Deadlines, window: number, now: number): ItemRecord[] {
  return items.filter((i) => {
    const by = resubmitBy(i, deadlines, window);
    return i.state === 'REJECTED' && by !== undefined && now >= by;
  });
}

/** Submitted items whose verification service level has just been missed (not yet marked breached). */
export function overdueVerifications(items: ItemRecord[], now: number): ItemRecord[] {
  return items.filter((i) => i.state === 'SUBMITTED' && !!i.sla && !i.sla.breached && now >= i.sla.endsAt);
}

/** The next instant after `now` at which a time rule has something to do, and what. */
export function nextWakeUp(deadlines: Deadlines, items: ItemRecord[], policy: CohortPolicy, now: number): { at: number; what: string } | undefined {
  const times: { at: number; what: string }[] = [];
  for (const [kind, d] of deadlineEntries(deadlines)) {
    if (d.passed) continue;
    times.push({ at: d.at, what: `${kind.toLowerCase()} deadline` });
    for (const offset of reminderOffsets(policy)) times.push({ at: d.at - offset, what: `reminder before the ${kind.toLowerCase()} deadline` });
  }
  for (const item of items) {
    const by = resubmitBy(item, deadlines, windowMs(policy));
    if (by !== undefined && item.state === 'REJECTED') times.push({ at: by, what: `resubmission window of ${item.key}` });
    if (item.state === 'SUBMITTED' && item.sla && !item.sla.breached) times.push({ at: item.sla.endsAt, what: `verification service level of ${item.key}` });
  }
  return times.filter((t) => t.at > now).sort((a, b) => a.at - b.at)[0];
}

/** The cohort's policy numbers, as every page and email states them. */
export function policyNumbers(policy: CohortPolicy): PolicyNumbers {
  return {
    verificationSlaWorkingDays: policy.verificationSlaWorkingDays,
    resubmissionWindowDays: windowMs(policy) / DAY_MS,
    reminderDaysBefore: reminderOffsets(policy).map((o) => o / DAY_MS),
  };
}

/** The last moment a student action can still count: the latest deadline plus the resubmission window, or a window the registry's holding moved later. */
export function changeableUntil(deadlines: Deadlines, policy: CohortPolicy, items: readonly ItemRecord[] = []): number {
  const windows = items.map((i) => resubmitBy(i, deadlines, windowMs(policy)) ?? -Infinity);
  return Math.max(Math.max(...deadlineEntries(deadlines).map(([, d]) => d.at)) + windowMs(policy), ...windows);
}
