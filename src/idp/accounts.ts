/**
 * The identity-provider simulator's accounts (development and tests only):
 * a JSON file under VAR_DIR/idp, so accounts survive a restart of `npm start`.
 * Staff accounts are seeded on first use with passwords made then (never
 * written in the repository) and listed in VAR_DIR/idp/staff-accounts.json
 * for the developer; a student's account is made when the student activates
 * it on the simulator's activation page, with the password chosen there.
 * Passwords are kept as scrypt hashes.
 */
import { randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface IdpAccount {
  /** The provider's subject: opaque, as at a real provider. */
  sub: string;
  /** What the person types to sign in, and the `email` claim. */
  email: string;
  name: string;
  /** The `groups` claim (the default OIDC_ROLE_CLAIM). */
  groups: string[];
  passwordHash?: string;
}

export interface SeededStaff {
  email: string;
  password: string;
  groups: string[];
}

/** Seeded staff: one of each role the development role map knows, and one with no registry role. */
const STAFF_SEED = [
  { email: 'officer@ust.hk', name: 'Registry Officer', groups: ['registry-officers'] },
  { email: 'admin@ust.hk', name: 'Registry Admin', groups: ['registry-admins', 'registry-officers'] },
  { email: 'lecturer@ust.hk', name: 'A Lecturer', groups: ['faculty'] },
];

const hash = (password: string) => {
  const salt = randomBytes(16);
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
};

const matches = (password: string, stored: string | undefined) => {
  if (!stored) return false;
  const [salt, expected] = stored.split(':');
  const got = scryptSync(password, Buffer.from(salt!, 'hex'), 32);
  return timingSafeEqual(got, Buffer.from(expected!, 'hex'));
};

export class IdpAccounts {
  private readonly file: string;
  readonly staffFile: string;

  constructor(varDir: string) {
    const dir = path.join(varDir, 'idp');
    this.file = path.join(dir, 'accounts.json');
    this.staffFile = path.join(dir, 'staff-accounts.json');
    if (!fs.existsSync(this.file)) this.seed(dir);
  }

  private seed(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const staff: SeededStaff[] = STAFF_SEED.map((s) => ({ email: s.email, groups: s.groups, password: randomBytes(12).toString('base64url') }));
    const accounts: IdpAccount[] = STAFF_SEED.map((s, i) => ({ sub: randomUUID(), ...s, passwordHash: hash(staff[i]!.password) }));
    this.write(accounts);
    fs.writeFileSync(this.staffFile, JSON.stringify(staff, null, 2) + '\n', { mode: 0o600 });
  }

  private read(): IdpAccount[] {
    return JSON.parse(fs.readFileSync(this.file, 'utf8')) as IdpAccount[];
  }

  private write(accounts: IdpAccount[]): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(accounts, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /** The seeded staff accounts with their passwords (what `npm start` prints, what the tests sign in with). */
  seededStaff(): SeededStaff[] {
    return JSON.parse(fs.readFileSync(this.staffFile, 'utf8')) as SeededStaff[];
  }

  bySub(sub: string): IdpAccount | undefined {
    return this.read().find((a) => a.sub === sub);
  }

  /** The account whose email and password these are. */
  authenticate(email: string, password: string): IdpAccount | undefined {
    const account = this.read().find((a) => a.email === email.trim().toLowerCase());
    return account && matches(password, account.passwordHash) ? account : undefined;
  }

  /** Activation: the student's university account, with the password chosen on the activation page (again: a new password). */
  activateStudent(email: string, password: string): IdpAccount {
    const accounts = this.read();
    const existing = accounts.find((a) => a.email === email);
    const account: IdpAccount = {
      sub: existing?.sub ?? randomUUID(),
      email,
      name: email,
      groups: ['students'],
      passwordHash: password ? hash(password) : undefined,
    };
    this.write([...accounts.filter((a) => a.email !== email), account]);
    return account;
  }
}
