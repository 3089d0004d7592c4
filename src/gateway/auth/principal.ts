/** Who is calling: a student with a session for one registration, or a staff member with an API key or a single sign-on session. */
export const STAFF_ROLES = ['officer', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export type Principal =
  /** staffCaused: the staff actor whose request made this session (docs/gateway.md, Revocation); absent for the student's own. */
  | { kind: 'student'; applicationNo: string; staffCaused?: string }
  /** keyId: the API key's id, or `sso:<subject>` for a single sign-on session (the same person on every device). */
  | { kind: 'staff'; keyId: string; name: string; role: StaffRole; via: 'apiKey' | 'sso' };

/** The actor string recorded on the workflow and in the audit trail (see workflows/registration/types.ts Actor). */
export function actorOf(p: Principal): string {
  return p.kind === 'student' ? `student:${p.applicationNo}` : `staff:${p.name}`;
}

/**
 * What a route requires. Admin includes everything an officer may do; a
 * student may only touch the registration named by the route's :applicationNo.
 */
export type Access = 'public' | 'student' | 'staff' | 'admin' | 'ownerOrStaff' | 'webhook';
