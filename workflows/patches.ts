/**
 * `patched()` for every workflow here, with generations: one marker for all the patches a release holds.
 *
 * Temporal records two events the first time a run takes a patch: the marker, and an upsert of the
 * `TemporalChangeVersion` search attribute listing the patches taken. A registration started today would
 * take every patch ever released, each on its own, and pay two events for each (eight patches: 16 of the
 * 126 events of a completed journey) for changes it never had an old path of.
 *
 * A generation names the patches released up to it. A run takes a patch when it takes a generation that
 * covers it (newest first), else the patch itself; so a run started since the generation records the
 * generation's marker alone. A history recorded before the generation has no marker for it: while it
 * replays, the generation is not taken and each patch is decided by its own marker, as it was; from its
 * first live step on, the generation is taken, and with it every patch it covers, which is what each patch
 * on its own would have done there. A generation's list never changes once released (a history that took
 * it took exactly those); a patch released later is on its own until the next generation covers it.
 * docs/registration-workflow.md, "Determinism and versioning".
 */
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- the one place that asks Temporal for a patch
import { patched as temporalPatched } from '@temporalio/workflow';

interface Generation {
  readonly id: string;
  readonly covers: readonly string[];
}

/** The first generation's patches. */
const FIRST: readonly string[] = [
  // The registration's changed rules (registration/rule-changes.ts).
  'fee-settled-by-paid-at',
  'resubmission-clock-stops-in-review',
  'withdrawal-names-its-deadline',
  'document-pages',
  'reclassification-emails-the-student',
  'sent-submission-locked',
  // The signal handled since (registration/actions.ts), tracing (tracing.ts), the upserts (registration/workflow.ts).
  'email-undeliverable-flag',
  'opentelemetry-tracing',
  'search-attributes-upserted-on-change',
];

/** Newest first. */
const GENERATIONS: readonly Generation[] = [
  // The projector (registration/workflow.ts: updates answered before their projection), released after the second.
  { id: 'patches-2026-12-07-3', covers: [...FIRST, 'wake-up-timers-kept-across-messages', 'update-answers-before-projection'] },
  // The wake-up timers kept across messages (registration/workflow.ts), released after the first.
  { id: 'patches-2026-12-07-2', covers: [...FIRST, 'wake-up-timers-kept-across-messages'] },
  { id: 'patches-2026-12-07', covers: FIRST },
];

/** Whether this run takes the change `id`: as Temporal's `patched(id)`, through the newest generation that covers it. */
export function patched(id: string): boolean {
  for (const generation of GENERATIONS) {
    if (generation.covers.includes(id) && temporalPatched(generation.id)) return true;
  }
  return temporalPatched(id);
}
