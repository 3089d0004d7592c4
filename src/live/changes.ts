/**
 * Change notices from the read model to the live pages, across processes.
 *
 * The worker's projection is the only writer of a registration's row, and the
 * gateways serving the pages are other processes (two or more behind a load
 * balancer), so the notice travels through PostgreSQL: the projection calls
 * `pg_notify` inside the transaction that writes the change, and PostgreSQL
 * delivers it at commit, after the row is readable, to every gateway that
 * LISTENs. Each gateway holds one listening connection (`ChangeFeed`) and fans
 * the notices out to its open event streams.
 *
 * A notice is a pointer, never the data: the page reads the change through
 * the route it always used, with that route's authorisation.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Prisma } from '@prisma/client';
import { poolConfig } from '../db/adapter';
import type { Logger } from '../logger';

const CHANGES_CHANNEL = 'progreg_changes';

/** What one notice says: which registration, its new sequence number, and the global change number. */
export interface ChangeNotice {
  applicationNo: string;
  /** The registration's workflow sequence number now projected (the student stream's event id). */
  seq: number;
  /** Registration.changeNo: one counter over every registration (the staff stream's event id). */
  changeNo: number;
  cohortId: string;
  status: string;
  /** A late event was recorded (the registration's own seq did not move). */
  late?: true;
}

/**
 * Takes the next change number for the registration and queues the notice; call it inside the
 * transaction that wrote the change, so the notice goes out at commit or not at all.
 */
export async function recordChange(tx: Prisma.TransactionClient, applicationNo: string, late = false): Promise<void> {
  const [row] = await tx.$queryRaw<Array<{ seq: number; changeNo: bigint; cohortId: string; status: string }>>`
    UPDATE "Registration" SET "changeNo" = nextval(pg_get_serial_sequence('"Registration"', 'changeNo'))
    WHERE "applicationNo" = ${applicationNo}
    RETURNING seq, "changeNo", "cohortId", status`;
  if (!row) return;
  const notice: ChangeNotice = {
    applicationNo,
    seq: row.seq,
    changeNo: Number(row.changeNo),
    cohortId: row.cohortId,
    status: row.status,
    ...(late ? { late: true as const } : {}),
  };
  await tx.$executeRaw`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(notice)})`;
}

/** The newest change number committed (0 before any); a reconnecting staff stream compares its Last-Event-ID with it. */
export async function latestChangeNo(prisma: { $queryRaw: Prisma.TransactionClient['$queryRaw'] }): Promise<number> {
  const [row] = await prisma.$queryRaw<Array<{ n: bigint | null }>>`SELECT max("changeNo") AS n FROM "Registration"`;
  return Number(row?.n ?? 0);
}

/** `resync`: notices may have been lost (the connection dropped); `closed`: the gateway is stopping, end the stream. */
export type ChangeListener = (notice: ChangeNotice | 'resync' | 'closed') => void;

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

/**
 * One gateway's LISTEN connection, shared by all of its streams. Connected on the
 * first subscriber; when the connection drops it reconnects with backoff and tells
 * every subscriber `resync` (notices sent meanwhile are lost, so each stream
 * re-reads where its page stands).
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger?: Pick<Logger, 'warn' | 'info'>,
  ) {
    // Every open stream is one listener: a thousand is expected, not a leak.
    this.emitter.setMaxListeners(0);
  }

  /** How many streams are listening (for the bench and the logs). */
  get subscribers(): number {
    return this.emitter.listenerCount('change');
  }

  /** Listens until the returned function is called; resolves once the LISTEN is in place. */
  async subscribe(listener: ChangeListener): Promise<() => void> {
    this.emitter.on('change', listener);
    const unsubscribe = () => void this.emitter.off('change', listener);
    try {
      await this.connect();
    } catch (e) {
      unsubscribe();
      throw e;
    }
    return unsubscribe;
  }

  /** Ends every stream (a stopping gateway's server waits for open responses) and the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.emitter.emit('change', 'closed');
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    return (this.connecting ??= this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ ...poolConfig(this.databaseUrl), connectionTimeoutMillis: 15_000, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || !msg.payload) return;
      try {
        this.emitter.emit('change', JSON.parse(msg.payload) as ChangeNotice);
      } catch {
        // Not ours: nothing else should NOTIFY on this channel.
      }
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
  }

  private lost(client: pg.Client, e?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger?.warn({ err: e }, 'live changes: the LISTEN connection dropped; reconnecting');
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.subscribers === 0) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          this.logger?.info('live changes: listening again');
          this.emitter.emit('change', 'resync');
        },
        () => {
          this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
          this.retry();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
