/**
 * The status page's answer from the read model: the whole status as the workflow's query answers it, which the
 * projection stores with each change (StatusSnapshot). Asking the workflow instead costs a replay of its whole history
 * when the registration is out of the worker's cache, which most of a large cohort is (docs/architecture.md, "Reading
 * one's own change").
 */
import type { PrismaClient } from '../db/prisma';
import type { RegistrationStatusView } from '../../workflows/registration/types';

/** The stored status if it holds change `seen` (0: any), or undefined: none stored yet, or behind what the caller saw. */
export async function storedStatus(prisma: PrismaClient, applicationNo: string, seen: number): Promise<RegistrationStatusView | undefined> {
  const row = await prisma.statusSnapshot.findFirst({ where: { applicationNo, seq: { gte: seen } }, select: { view: true } });
  return row ? (JSON.parse(row.view) as RegistrationStatusView) : undefined;
}
