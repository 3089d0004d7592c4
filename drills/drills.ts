/**
 * The fault drills (docs/operations.md, "Fault drills and the API fuzz run"). Each one imports its own cohort into a real
 * stack, breaks something while the system is busy, does what an operator's
 * runbook says (restart what was killed; an interrupted import finishes by
 * itself, as a Temporal workflow), and then measures from ground truth (drills/audit.ts).
 *
 * "Manual steps" counts what an operator had to do beyond that runbook: kill
 * processes left behind, delete orphaned files, repair an import job by hand.
 * A row passes when nothing is lost or doubled, no step beyond the runbook was
 * needed and no problem (a 5xx other than 503, a wrong answer, a job stuck
 * RUNNING, a read model that never caught up) was seen.
 */
import { invitationBounceDrill } from './bounce-drill';
import type { DrillEnv } from './kit';
import { postgresFreezeDrill, postgresStopDrill, resendOutageDrill } from './outage-drills';
import { gatewayKillImportDrill, gatewayKillUploadsDrill, stackInterruptDrill, workerKillDrill } from './process-drills';

export { passed, SharedStack, type DrillEnv, type DrillRow } from './kit';

export const DRILLS = {
  'worker-kill': workerKillDrill,
  'stack-interrupt': (env: DrillEnv) => stackInterruptDrill(env),
  'gateway-kill-uploads': gatewayKillUploadsDrill,
  'gateway-kill-import': gatewayKillImportDrill,
  'postgres-freeze': postgresFreezeDrill,
  'postgres-stop': postgresStopDrill,
  'resend-outage': resendOutageDrill,
  'invitation-bounce': invitationBounceDrill,
} as const;
export type DrillName = keyof typeof DRILLS;
