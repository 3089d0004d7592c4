/**
 * Removes stored upload bytes that no document references (a page removed
 * before its submission was sent does not count), once no upload has
 * brought them for BLOB_GC_GRACE_MINUTES (so uploads in flight are safe), and
 * staged uploads that were cut off. The gateway does the same every
 * BLOB_GC_INTERVAL_MINUTES; this is the by-hand run.
 *
 *   npm run blobs:gc                     with the configured grace period
 *   npm run blobs:gc -- --grace-minutes 5
 */
import { parseArgs } from 'node:util';
import { collectUnreferencedBlobs } from '../uploads/gc';
import { createBlobStore } from '../uploads/store';
import { cliConfig, cliPrisma, fail } from './connect';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { 'grace-minutes': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    fail(`${(e as Error).message}\nUsage: npm run blobs:gc [-- --grace-minutes <n>]`);
  }
  if (args.help) {
    console.log('Usage: npm run blobs:gc [-- --grace-minutes <n>]');
    return;
  }
  const config = cliConfig();
  const graceMinutes = args['grace-minutes'] === undefined ? config.BLOB_GC_GRACE_MINUTES : Number(args['grace-minutes']);
  if (!Number.isFinite(graceMinutes) || graceMinutes < 0) fail('--grace-minutes must be a number of minutes (0 or more)');
  const prisma = cliPrisma(config);
  try {
    const r = await collectUnreferencedBlobs({ prisma, blobs: createBlobStore(config) }, { graceMs: graceMinutes * 60_000 });
    console.log(
      `Removed ${r.removedRecords} unreferenced stored file(s), ${r.removedUnrecorded} unrecorded file(s) and ${r.removedStaging} stale staged upload(s) ` +
        `from ${config.uploadDir} (grace ${graceMinutes} min).`,
    );
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((e) => fail(`blobs:gc failed: ${(e as Error).message}`, 1));
