import { defineConfig } from 'vitest/config';

// Tiers by suffix: *.unit.test.ts (pure), *.int.test.ts (real Postgres, NATS, …), *.e2e.test.ts (HTTP),
// *.proof.test.ts (the whole replicated topology under faults; `npm test` runs it on its own
// after the others, so its twenty-odd processes do not compete with them for the machine).
export default defineConfig({
  test: {
    globalSetup: ['./shared/src/testing/global-setup.ts'],
    // the run ends with FAILED: <file> (<reason>) per failed file, even when a failed beforeAll left its tests "skipped"
    reporters: ['default', './shared/src/testing/failure-summary.ts'],
    // Deadlines that bound a broken test, generous for a busy two-core machine; a passing test
    // ends when its conditions hold (tests poll for conditions, never sleep a fixed time).
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two files at once even on two cores (vitest's default there is one): the int and e2e files
    // spend much of their time waiting on servers and projections, not computing.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['**/src/**/*.unit.test.ts', 'bench/**/*.unit.test.ts'], exclude: ['**/node_modules/**'] },
      },
      { extends: true, test: { name: 'int', include: ['**/src/**/*.int.test.ts'], exclude: ['**/node_modules/**'] } },
      {
        extends: true,
        test: { name: 'e2e', include: ['**/src/**/*.e2e.test.ts', 'test/**/*.e2e.test.ts'], exclude: ['**/node_modules/**'] },
      },
      {
        // the console in a real (headless) Chromium, against the whole platform in-process
        extends: true,
        test: { name: 'browser', include: ['web/test/**/*.browser.test.ts'], exclude: ['**/node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'proof',
          include: ['**/src/**/*.proof.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 900_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
