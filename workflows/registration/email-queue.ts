/**
 * The emails a registration has decided to send and not yet seen confirmed, in
 * the order they go out. The queue is part of the state carried across
 * continue-as-new, so an entry holds only what the decision fixed: the
 * idempotency key, the addresses and the message's own facts (a few hundred
 * bytes). The context every template shares (student, deadlines, items, policy
 * numbers, about 2 KB) is rendered from the state when the email is handed to
 * the email activity, so it is also the latest (docs/registration-workflow.md,
 * "What a continued run carries").
 *
 * A burst of extensions decides emails faster than they can be sent one at a
 * time. A student wants the latest date once, not one email per minute moved:
 * a DEADLINE_EXTENDED email still waiting (not yet handed over) takes the newer
 * extension of the same deadline (old date as first told, newest date) instead
 * of a second email being queued. Nothing handed over is ever changed: it may
 * already be delivered under its key, and the same key with other facts would
 * be taken as that delivery (docs/domain.md, "Extensions").
 */
import type { EmailMessage } from './emails';

export interface QueuedEmail {
  /** `registration-<no>:<KIND>:<n>`: fixed when decided, so every attempt, in any run, sends under it. */
  idempotencyKey: string;
  /** Student addresses; empty for emails to the registry. */
  to: string[];
  message: EmailMessage;
  /** Handed to the email activity (possibly delivered): sent again under the same key if not confirmed, never merged into. */
  handedOver?: true;
}

/**
 * Folds a newly decided email into one still waiting that it supersedes, and answers whether it did (then no
 * new email, and no new key, is needed). The merged email moves to the end of the queue: it goes out where the
 * latest decision put it, after anything decided in between (a reminder naming the earlier date, say).
 */
export function coalesceInto(queue: QueuedEmail[], message: EmailMessage, to: string[]): boolean {
  if (message.kind !== 'DEADLINE_EXTENDED') return false;
  const at = queue.findIndex((e) => !e.handedOver && e.message.kind === 'DEADLINE_EXTENDED' && e.message.deadline === message.deadline);
  if (at < 0) return false;
  const [waiting] = queue.splice(at, 1);
  const from = waiting!.message.kind === 'DEADLINE_EXTENDED' ? waiting!.message.from : message.from;
  queue.push({ idempotencyKey: waiting!.idempotencyKey, to, message: { ...message, from } });
  return true;
}

/** Removes the entry with this key (confirmed sent or refused for good); absent already is fine. */
export function settle(queue: QueuedEmail[], idempotencyKey: string): void {
  const at = queue.findIndex((e) => e.idempotencyKey === idempotencyKey);
  if (at >= 0) queue.splice(at, 1);
}
