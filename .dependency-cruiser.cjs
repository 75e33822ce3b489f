/**
 * The boundaries between Mandant's packages, checked by dependency-cruiser
 * (services/platform/src/architecture/boundaries.int.test.ts runs it, so `npm test` fails on a
 * violation). Workspace imports resolve through each package.json's `exports` to real paths, so
 * the rules below speak of files: a service is used through `src/index.ts` (its fixtures for
 * other packages' tests through `src/testing/index.ts`), `shared` through its named entry points.
 * What no import graph shows, SQL on another context's tables, is checked by
 * services/platform/src/architecture/table-ownership.int.test.ts.
 */

/** shared's named entry points (package.json `exports`), as the files they resolve to. */
const SHARED_ENTRIES = [
  '^shared/src/(db|eventstore|outbox|projection|rpc|runtime|service|stores|stores/(blobs|crypto|graph|text|vectors)|telemetry|testing|transport)/index[.]ts$',
  '^shared/src/(decider|env|errors|ids|in-parallel|json|log)[.]ts$',
];

/** Files that exist for tests: test files, fixtures, harnesses and the benchmarks. */
const TEST_SUPPORT = [
  '[.]test[.]ts$',
  '[.]contract[.]ts$',
  '[.]fixture[.]ts$',
  '/testing/',
  '^bench/',
  // the platform's end-to-end, fault and attack suites and their helpers
  '^services/platform/src/(e2e|fault|attack)/',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'service-internals',
      comment: "Another service's internals: import its package ('@mandant/<service>'), whose src/index.ts is its whole public surface.",
      severity: 'error',
      from: { path: '^(services/[^/]+|shared|bench|contracts)/' },
      to: {
        path: '^services/[^/]+/src/',
        pathNot: ['^$1/', '^services/[^/]+/src/index[.]ts$', '^services/[^/]+/src/testing/index[.]ts$'],
      },
    },
    {
      name: 'shared-entry-points',
      comment: "shared is used through its named entry points ('@mandant/shared/<entry>'), never its files.",
      severity: 'error',
      from: { pathNot: '^shared/' },
      to: { path: '^shared/src/', pathNot: SHARED_ENTRIES },
    },
    {
      name: 'shared-is-infrastructure',
      comment: 'shared holds infrastructure only: it never depends on a bounded context.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^services/' },
    },
    {
      name: 'test-support-stays-in-tests',
      comment: 'Fixtures and harnesses (a package\'s "./testing" entry, shared/testing) are for tests, never for running code.',
      severity: 'error',
      from: { pathNot: TEST_SUPPORT },
      to: { path: ['^services/[^/]+/src/testing/', '^shared/src/testing/', '^services/platform/src/e2e/'] },
    },
    {
      name: 'process-entry-points',
      comment: 'A process entry point (main.ts, a service process under platform/src/processes, a CLI) is run by path, never imported.',
      severity: 'error',
      from: {},
      to: {
        path: [
          '^services/[^/]+/src/main[.]ts$',
          '^services/platform/src/processes/',
          '^services/platform/src/(cli|stack)/main[.]ts$',
          '^shared/src/db/migrate-cli[.]ts$',
        ],
      },
    },
    {
      name: 'exported-entries-only',
      comment: "A workspace import names an entry its package exports ('@mandant/x', '@mandant/shared/db'); a file path does not resolve.",
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@mandant/' },
    },
    {
      name: 'console-through-the-api',
      comment:
        "The console reaches the platform through its public HTTP API only ('@mandant/client'): never a service, shared or the contracts' schemas.",
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^(services|shared|contracts/src|bench)/' },
    },
    {
      name: 'no-circular-between-packages',
      comment: 'Packages depend on each other in one direction only.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: {
        circular: true,
        via: { path: '^services/', pathNot: '^services/$1/' },
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '[.]d[.]ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
