/**
 * The rooms of docs/architecture.md and what each may import, checked by
 * test/stack/architecture.test.ts and `npm run lint` (`depcruise src workflows activities test bench drills scripts`).
 * @type {import('dependency-cruiser').IConfiguration}
 */
/** The processes and what serves HTTP: rooms above the services. */
const ENTRY_POINTS = '^src/((gateway|portal|cli|launcher|cluster)/|(worker|dev)[.]ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one room in disguise (a type named back is no cycle at run time).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'workflows-stay-deterministic',
      comment: 'Workflow code runs in the sandbox and replays: it may name activities and services only as types.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(src|activities)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-use-the-workflow-sdk',
      comment: 'The worker, client and activity SDKs do not belong in the sandbox.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '@temporalio/(worker|client|testing|activity)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-node-builtins',
      comment: 'No file system, network or clock of Node in workflow code.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'activities-are-not-http',
      comment: 'Activities are ordered by workflows; the gateway, portal and entry points are above them.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: ENTRY_POINTS },
    },
    {
      name: 'gateway-asks-the-workflow',
      comment: 'The gateway signals, updates and queries workflows; it never runs their activities itself.',
      severity: 'error',
      from: { path: '^src/gateway/' },
      to: { path: '^activities/' },
    },
    {
      name: 'services-below-entry-points',
      comment: 'Library rooms do not reach up into the processes that use them.',
      severity: 'error',
      from: { path: '^src/(calendar|dashboard|db|email|exports|import|live|temporal|uploads|idp|observability)/' },
      to: { path: ENTRY_POINTS },
    },
    {
      name: 'one-process-supervisor',
      comment:
        'npm start and the fault drills run their servers through src/launcher/stack.ts (restart policy, process groups, ordered stop), as the cluster does; they do not spawn processes of their own.',
      severity: 'error',
      from: { path: '^(src/dev[.]ts|drills/stack[.]ts)$' },
      to: { path: '^child_process$', dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'tests-stand-apart-from-tools',
      comment:
        "The tests import nothing from the drills or benches (what they share is in test/kit/); only the drills' own tests in test/drills/ run the drills.",
      severity: 'error',
      from: { path: '^test/', pathNot: '^test/drills/' },
      to: { path: '^(drills|bench)/' },
    },
    {
      name: 'tools-take-only-the-kit',
      comment: 'The drills and benches take from test/ only its kit: the servers, the fake Resend, the synthetic cohort, the pool, the samples.',
      severity: 'error',
      from: { path: '^(drills|bench)/' },
      to: { path: '^test/', pathNot: '^test/kit/' },
    },
    {
      name: 'kit-stands-alone',
      comment: "The kit is shared by tests, drills and benches, so it leans on none of them (nor on the tests' own support).",
      severity: 'error',
      from: { path: '^test/kit/' },
      to: { path: '^(test|drills|bench)/', pathNot: '^test/kit/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
