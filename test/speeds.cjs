/**
 * The three speeds of tests, by what they need (CONTRIBUTING.md, "Which tests to run when"):
 * - unit: nothing but this process. The state machine, rules, schemas, templates and config, the replay guard
 *   (a bundle, no server) and the rooms' static checks. The unit run refuses to start a server (test/support/unit.ts).
 * - integration: real PostgreSQL and Temporal (embedded, started once per run by test/kit/servers.ts), gateways,
 *   workers and child processes; no browser, drill or cluster. Every test file that is neither unit nor system.
 * - system: Chromium, the drills and the cluster's Go-built servers.
 * `npm test` runs all three.
 */
const unit = [
  'test/workflow/state*.test.ts',
  'test/workflow/checklist.test.ts',
  'test/workflow/working-days.test.ts',
  'test/workflow/replay.test.ts',
  'test/activities/templates.test.ts',
  'test/import/rows.test.ts',
  'test/portal/vocabulary.test.ts',
  'test/gateway/temporal-refusals.test.ts',
  'test/stack/config.test.ts',
  'test/stack/payload-codec.test.ts',
  'test/stack/published-secrets.test.ts',
  'test/stack/temporal-connection.test.ts',
  'test/stack/architecture.test.ts',
  'test/cluster/go-tools.test.ts',
];

const system = ['test/browser/**/*.test.ts', 'test/drills/**/*.test.ts', 'test/cluster/**/*.test.ts', 'test/uploads/s3-store.test.ts'];

module.exports = { all: ['test/**/*.test.ts'], unit, system };
