/**
 * What every staff page shares while the tab is open: who is signed in and
 * with which API client, the page generation (bumped on every navigation, so a
 * slow page load cannot overwrite the page the user moved on to), what the page
 * on screen follows live, and the way to the router. The router lives in
 * main.ts, which imports the pages; the pages reach it through `route` and
 * `navigate` here instead of importing it back.
 */
import type { StaffApi, StaffIdentity } from '../api';
import { bootData } from '../dom';
import type { StaffBoot } from '../../index';
import type { StaffStream } from './live';

/** An API key is kept in sessionStorage, so it leaves with the tab. */
export const KEY_STORAGE = 'progreg.staffKey';
export const staffKey = (): string => sessionStorage.getItem(KEY_STORAGE) ?? '';

export const boot = bootData<StaffBoot>();

export const staff = {
  api: undefined as unknown as StaffApi,
  me: undefined as unknown as StaffIdentity,
  signedIn: false,
  /** Bumped on every navigation so a slow page load cannot overwrite the page the user moved on to. */
  generation: 0,
  importTimer: undefined as number | undefined,
  /** What the page on screen follows live; set by the page while it is built. */
  stream: { kind: 'none' } as StaffStream,
};

const router = { route: async (): Promise<void> => undefined, navigate: (_to: string): void => undefined };

/** Called once by main.ts with its router. */
export function setRouter(r: typeof router): void {
  Object.assign(router, r);
}

/** Loads the page at the current address again (after a decision or a correction). */
export const route = (): Promise<void> => router.route();
/** Moves to another staff page in place (history.pushState). */
export const navigate = (to: string): void => router.navigate(to);
