/**
 * Staff API keys from the command line (the first admin key has to come from
 * somewhere):
 *
 *   npm run staff-key -- --name "Alice Chan" --role admin   create; prints the key once
 *   npm run staff-key -- --list                             list keys (never the keys themselves)
 *   npm run staff-key -- --revoke <id>                      revoke a key
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { STAFF_ROLES, type StaffRole } from '../gateway/auth/principal';
import { createStaffKey, listStaffKeys, revokeStaffKey } from '../gateway/auth/staff-keys';
import { cliConfig, cliPrisma, fail } from './connect';

const USAGE = `Usage:
  npm run staff-key -- --name <name> --role <${STAFF_ROLES.join('|')}>
  npm run staff-key -- --list
  npm run staff-key -- --revoke <id>`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        list: { type: 'boolean' },
        revoke: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const prisma = cliPrisma(cliConfig());
  try {
    if (args.list) {
      const keys = await listStaffKeys(prisma);
      if (!keys.length) console.log('No staff keys yet.');
      for (const k of keys) {
        console.log(
          `${k.id}  pgk_${k.prefix}_…  ${k.role.padEnd(7)}  ${k.name}  created ${k.createdAt.toISOString()}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`,
        );
      }
    } else if (args.revoke) {
      const k = await revokeStaffKey(prisma, args.revoke);
      if (!k) fail(`No key with id ${args.revoke}.`, 1);
      console.log(`Revoked ${k.name} (${k.role}), id ${k.id}.`);
    } else {
      const name = args.name?.trim();
      if (!name || !STAFF_ROLES.includes(args.role as StaffRole)) fail(USAGE);
      const k = await createStaffKey(prisma, { name, role: args.role as StaffRole });
      console.error(`Created ${k.role} key for ${k.name} (id ${k.id}) by ${os.userInfo().username}. It is shown only now:`);
      console.log(k.key);
    }
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((e) => fail(`staff-key failed: ${(e as Error).message}`, 1));
