/**
 * What the student's page shares while it is open: the boot values, the
 * registration on screen and its event stream, and the way to refresh it.
 * main.ts, which imports the cards, hands its `refresh` in here, so the cards
 * reach it without importing main.ts back.
 */
import type { StatusResponse } from '../api';
import { bootData, byId, h } from '../dom';
import type { Live } from '../live';
import type { StudentBoot } from '../../index';

export const boot = bootData<StudentBoot>();

export const mail = (address: string) => h('a', { href: `mailto:${address}` }, address);

export const student = {
  applicationNo: '',
  /** The status on screen. */
  view: undefined as StatusResponse | undefined,
  live: undefined as Live | undefined,
  /** Items the student completed on this page since it opened: their cards say what happens next. */
  sentHere: new Set<string>(),
  /** The item whose card takes the focus when it is next redrawn (after the student's own action on it). */
  focusCard: undefined as string | undefined,
};

let refresher: () => Promise<void> = async () => undefined;

/** Called once by main.ts. */
export function setRefresh(r: () => Promise<void>): void {
  refresher = r;
}

/** Reads the status again and redraws what changed (after the student's own action). */
export const refresh = (): Promise<void> => refresher();

/**
 * Reads `text` out from the checklist's live region (#announcer), in the page beside the cards: no toast that covers
 * fields and goes away. Emptied first, so that the same words said again are read again.
 */
export function announce(text: string): void {
  const region = byId('announcer');
  if (!region || !text) return;
  region.textContent = '';
  setTimeout(() => (region.textContent = text), 100);
}
