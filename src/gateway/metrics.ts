/**
 * The gateway's Prometheus metrics (prom-client, one registry per app): HTTP
 * requests by method, route template and status class, the figures operators
 * watch from the read model, and the open event streams. Labels are bounded:
 * route templates as declared (`/api/registrations/:applicationNo/form`), never
 * a raw path or an application number. Served on a port of its own by
 * src/observability/metrics-endpoint.ts; docs/operations.md, Metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { breachedItemSql } from '../dashboard/figures';
import { OPEN_STATUSES_SQL } from '../db/open-statuses';
import type { PrismaClient } from '../db/prisma';
import type { Logger } from '../logger';

/**
 * The read model is asked at most once per this interval, however often it is scraped (several
 * Prometheus replicas, a person reloading the endpoint): the counts are a few index scans each.
 */
export const READ_MODEL_FLOOR_MS = 15_000;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Requests no route matched (unknown paths, the portal's static files) share one label. */
const UNMATCHED = 'unmatched';

interface ReadModelFigures {
  registrations: Array<{ status: string; n: number }>;
  deliveries: Array<{ state: string; kind: string; n: number }>;
  emailProblems: Array<{ problem: string; n: number }>;
  breaches: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly inFlight = new Set<ServerResponse>();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly readModelFailures: Counter;
  private figures: { at: number; value: Promise<ReadModelFigures | undefined> } | undefined;

  constructor(private readonly deps: { prisma: PrismaClient; logger?: Logger; now?: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status class (2xx, 4xx, 5xx...).',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from a request arriving to its response finishing, by method, route template and status class (event streams left out: they last as long as the page).',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect with the gauge as `this`
    const metrics = this;
    new Gauge({
      name: 'progreg_event_streams_open',
      help: 'Live-update event streams (Server-Sent Events) this gateway holds open now.',
      registers,
      collect() {
        this.set(metrics.openEventStreams());
      },
    });
    const figure = (name: string, help: string, labelNames: string[], pick: (f: ReadModelFigures, g: Gauge<string>) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const f = await metrics.readModelFigures();
          this.reset();
          if (f) pick(f, this);
        },
      });
    figure(
      'progreg_registrations_open',
      'Open registrations (IN_PROGRESS, INCOMPLETE) in the read model, by status; refreshed at most every 15 s.',
      ['status'],
      (f, g) => f.registrations.forEach((r) => g.set({ status: r.status }, r.n)),
    );
    figure(
      'progreg_email_deliveries',
      'Emails Resend reported on, by their delivery state (DELIVERED, DELAYED, BOUNCED, COMPLAINED) and kind (INVITATION, REMINDER...; `unknown` when not matched): a count that only grows, per state.',
      ['state', 'kind'],
      (f, g) => f.deliveries.forEach((d) => g.set({ state: d.state, kind: d.kind }, d.n)),
    );
    figure(
      'progreg_personal_email_problems',
      'Open registrations whose personal email bounced (BOUNCED) or was marked as spam (COMPLAINED), waiting for staff to correct it.',
      ['problem'],
      (f, g) => f.emailProblems.forEach((p) => g.set({ problem: p.problem }, p.n)),
    );
    figure(
      'progreg_verification_breaches',
      'Submitted items of open registrations still unverified past their expected verification time (the verification service level): the dashboard\'s "breached" figure over every cohort.',
      [],
      (f, g) => g.set(f.breaches),
    );
    this.readModelFailures = new Counter({
      name: 'progreg_read_model_figures_failures_total',
      help: 'Scrapes whose read-model figures could not be read (PostgreSQL down); those scrapes carry no progreg_registrations_open, _email_deliveries, _personal_email_problems or _verification_breaches.',
      registers,
    });
  }

  /** Express middleware, first in the chain: counts every request once its response is done. */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const start = process.hrtime.bigint();
      this.inFlight.add(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        const labels = { method: METHODS.has(req.method) ? req.method : 'other', route: routeTemplate(req), status: statusClass(res) };
        this.requests.inc(labels);
        if (!isEventStream(res)) this.duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      });
      next();
    };
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private openEventStreams(): number {
    let n = 0;
    for (const res of this.inFlight) if (isEventStream(res)) n++;
    return n;
  }

  /** One read of the read model per floor interval, shared by every gauge of a scrape. */
  private readModelFigures(): Promise<ReadModelFigures | undefined> {
    const now = (this.deps.now ?? Date.now)();
    if (!this.figures || now - this.figures.at >= READ_MODEL_FLOOR_MS) {
      this.figures = {
        at: now,
        value: readFigures(this.deps.prisma).catch((e: unknown) => {
          this.deps.logger?.warn({ err: e }, 'metrics: the read model did not answer');
          this.readModelFailures.inc();
          // The next scrape asks again rather than waiting out the floor interval.
          this.figures = undefined;
          return undefined;
        }),
      };
    }
    return this.figures.value;
  }
}

async function readFigures(prisma: PrismaClient): Promise<ReadModelFigures> {
  const [registrations, deliveries, emailProblems, [breaches]] = await Promise.all([
    prisma.$queryRaw<Array<{ status: string; n: number }>>`
      SELECT status, count(*)::int AS n FROM "Registration" WHERE status IN ${OPEN_STATUSES_SQL} GROUP BY status`,
    prisma.$queryRaw<Array<{ state: string; kind: string; n: number }>>`
      SELECT state, coalesce(kind, 'unknown') AS kind, count(*)::int AS n FROM "EmailDelivery" GROUP BY 1, 2`,
    prisma.$queryRaw<Array<{ problem: string; n: number }>>`
      SELECT "personalEmailProblem" AS problem, count(*)::int AS n FROM "Registration"
      WHERE "personalEmailProblem" IS NOT NULL AND status IN ${OPEN_STATUSES_SQL} GROUP BY 1`,
    prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "ChecklistItem" i WHERE ${breachedItemSql(new Date())}`,
  ]);
  return { registrations, deliveries, emailProblems, breaches: breaches?.n ?? 0 };
}

/** The route as declared (its template), or one shared label for requests no route matched. */
export function routeTemplate(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return UNMATCHED;
  return `${req.baseUrl ?? ''}${route.path}`;
}

function statusClass(res: ServerResponse): string {
  // A connection that closed before any answer was sent: no status reached the client.
  if (!res.headersSent) return 'aborted';
  return `${Math.floor(res.statusCode / 100)}xx`;
}

const isEventStream = (res: ServerResponse<IncomingMessage>): boolean => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');
