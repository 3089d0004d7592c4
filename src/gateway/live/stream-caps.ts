/**
 * How many event streams one caller may hold open on this gateway: per
 * principal (a student or a staff member: a page each, a few tabs) and per
 * client address (everyone behind one NAT included). Each open stream holds a
 * connection and costs a database read on every resync, so a client that opens
 * them in a loop is refused 429 at the cap until one of its streams closes.
 * docs/operations.md, Timeouts and caps.
 */
import type { Principal } from '../auth/principal';
import { AppError, ErrorCode } from '../errors';

export interface StreamCapLimits {
  perPrincipal: number;
  perAddress: number;
}

export class StreamCaps {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: StreamCapLimits) {}

  /** Takes a place for one stream, or throws RATE_LIMITED; the function returned gives it back (once). */
  take(principal: Principal, address: string): () => void {
    const who = principal.kind === 'student' ? `student:${principal.applicationNo}` : `staff:${principal.keyId}`;
    const where = `address:${address}`;
    if ((this.open.get(who) ?? 0) >= this.limits.perPrincipal) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Too many open live-update streams for this account (at most ${this.limits.perPrincipal}); close a page or tab.`,
        {
          limit: this.limits.perPrincipal,
          per: 'principal',
        },
      );
    }
    if ((this.open.get(where) ?? 0) >= this.limits.perAddress) {
      throw new AppError(ErrorCode.RATE_LIMITED, `Too many open live-update streams from this address (at most ${this.limits.perAddress}).`, {
        limit: this.limits.perAddress,
        per: 'address',
      });
    }
    this.add(who, 1);
    this.add(where, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.add(who, -1);
      this.add(where, -1);
    };
  }

  private add(key: string, n: number): void {
    const v = (this.open.get(key) ?? 0) + n;
    if (v <= 0) this.open.delete(key);
    else this.open.set(key, v);
  }
}
