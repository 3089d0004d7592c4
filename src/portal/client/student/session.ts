/**
 * What the student's page shares while it is open: the boot values, the
 * registration on screen and its event stream, and the way to refresh it.
 * main.ts, which imports the cards, hands its `refresh` in here, so the cards
 * reach it without importing main.ts back.
 */
import type { StatusResponse } from '../api';
import { bootData, h } from '../dom';
import type { Live } from '../live';
import type { StudentBoot } from '../../index';

export const boot = bootData<StudentBoot>();

export const mail = (address: string) => h('a', { href: `mailto:${address}` }, address);

export const student = {
  applicationNo: '',
  /** The status on screen. */
  view: undefined as StatusResponse | undefined,
  live: undefined as Live | undefined,
};

let refresher: () => Promise<void> = async () => undefined;

/** Called once by main.ts. */
export function setRefresh(r: () => Promise<void>): void {
  refresher = r;
}

/** Reads the status again and redraws what changed (after the student's own action). */
export const refresh = (): Promise<void> => refresher();
