/**
 * Liveness and readiness. /healthz says the process serves HTTP; /readyz says
 * it can do its work: PostgreSQL answers a query and Temporal answers for our
 * namespace, each within a short deadline so a hung dependency fails the probe
 * instead of hanging it.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { GatewayDeps } from '../deps';
import { AppError, ErrorCode } from '../errors';
import { route, type RouteKit } from '../route';

const PROBE_TIMEOUT_MS = 3000;

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() }).meta({ id: 'ReadinessCheck' });
const Ready = z.object({ status: z.literal('ready'), checks: z.object({ database: Check, temporal: Check }) }).meta({ id: 'Readiness' });

type CheckResult = z.infer<typeof Check>;

/** `limitMs` backs up calls without their own deadline; the Temporal call has one (gRPC), which ends it cleanly first. */
async function timed(fn: () => Promise<unknown>, limitMs = PROBE_TIMEOUT_MS): Promise<CheckResult> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs)))]);
    return { ok: true, ms: Date.now() - start };
  } catch (e) {
    return { ok: false, ms: Date.now() - start, error: (e as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(kit: RouteKit, { prisma, temporal }: Pick<GatewayDeps, 'prisma' | 'temporal'>): Router {
  const router = Router();

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/healthz',
      tags: ['operations'],
      summary: 'Liveness: the process is up',
      access: 'public',
      response: z.object({ status: z.literal('ok') }),
    },
    async () => ({ status: 'ok' as const }),
  );

  route(
    kit,
    router,
    {
      method: 'get',
      path: '/readyz',
      tags: ['operations'],
      summary: 'Readiness: PostgreSQL and Temporal answer',
      description: '503 `NOT_READY` names the dependency that failed in `details`.',
      access: 'public',
      response: Ready,
      errors: [ErrorCode.NOT_READY],
    },
    async () => {
      const [database, temporalCheck] = await Promise.all([
        timed(() => prisma.$queryRaw`SELECT 1`),
        timed(
          () =>
            temporal.connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
              temporal.workflowService.describeNamespace({ namespace: temporal.options.namespace }),
            ),
          PROBE_TIMEOUT_MS + 1000,
        ),
      ]);
      const checks = { database, temporal: temporalCheck };
      const failed = Object.entries(checks)
        .filter(([, c]) => !c.ok)
        .map(([name]) => name);
      if (failed.length) throw new AppError(ErrorCode.NOT_READY, `Not ready: ${failed.join(' and ')} not answering.`, { failed, checks });
      return { status: 'ready' as const, checks };
    },
  );

  return router;
}
