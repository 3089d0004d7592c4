/**
 * The cluster workers' resident set size as `npm run bench` reports it: read now, or the
 * highest of each worker sampled every second while a phase runs (a reading at its end
 * alone would miss the peaks a garbage collection takes back). A worker's restarts are
 * counted beside it: one that died (out of memory at its heap limit) would show the small
 * RSS of a fresh process.
 */
import type { Supervised } from '../src/launcher/stack';
import { processMemoryMb } from './gateway-process';

/** Each worker's RSS now, in MB. */
export const workersRssMb = (workers: readonly Supervised[]): number[] => workers.map((w) => processMemoryMb(w.child().pid!).rss);

/** How many times the workers were restarted, all together. */
export const workerRestarts = (workers: readonly Supervised[]): number => workers.reduce((n, w) => n + w.restarts(), 0);

/** Samples each worker's RSS every `everyMs` until stop(), which gives each one's highest. */
export function sampleWorkersRss(workers: readonly Supervised[], everyMs = 1000): { stop(): number[] } {
  const peak = workersRssMb(workers);
  const timer = setInterval(() => {
    try {
      for (const [i, rss] of workersRssMb(workers).entries()) peak[i] = Math.max(peak[i]!, rss);
    } catch {
      // A worker between two processes (restarting): the next sample reads the new one.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
