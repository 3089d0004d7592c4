/**
 * The registration workflow's activities, built from explicit dependencies so
 * tests hand in real objects (a test database, a Resend client pointed at a
 * fake server). The worker builds the dependencies from config with
 * `activityDepsFromConfig`.
 */
import { Resend } from 'resend';
import type { Config } from '../src/config';
import type { PrismaClient } from '../src/db/prisma';
import { invitationLinks } from '../src/links';
import { createSendEmail, type EmailDeps } from './email/send-email';
import { hongKongHolidays } from '../src/calendar/holidays';
import { createProjectRegistration, createRecordLateEvent } from './projection';

export type ActivityDeps = EmailDeps;

export function createActivities(deps: ActivityDeps) {
  const sendEmail = createSendEmail(deps);
  return {
    sendEmail,
    projectRegistration: createProjectRegistration({ prisma: deps.prisma, alert: sendEmail }),
    recordLateEvent: createRecordLateEvent(deps),
    hongKongHolidays,
  };
}

export type RegistrationActivities = ReturnType<typeof createActivities>;

/** Production wiring: Resend or the outbox as EMAIL_TRANSPORT says (src/config/), invitation links signed with TOKEN_SECRET. */
export function activityDepsFromConfig(config: Config, prisma: PrismaClient): ActivityDeps {
  return {
    prisma,
    config,
    resend: config.emailTransport === 'resend' && config.RESEND_API_KEY ? new Resend(config.RESEND_API_KEY, { baseUrl: config.RESEND_BASE_URL }) : undefined,
    invitationLinks: (applicationNo, validUntil) => invitationLinks(config, applicationNo, validUntil),
  };
}
