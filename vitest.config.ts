import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/setup/slow-first-sequencer.ts';

/**
 * Unit tests run once. Database tests run on embedded PGlite, and again on PostgreSQL when TEST_DATABASE_URL is
 * set: the same files, a second project. Process tests spawn `node src/main.ts` on the embedded database.
 */
const databaseProjects = ['pglite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])].map((kind) => ({
  extends: true as const,
  test: {
    name: kind,
    include: ['test/integration/**/*.test.ts'],
    env: { SWITCHBOARD_TEST_DB: kind },
    // Each file starts its own app on its own database; sharing the imported modules within a worker saves the
    // ~2 s every file spent importing them (a quarter of CI's test time).
    isolate: false,
    ...(kind === 'pglite' ? { globalSetup: ['test/setup/pglite-template.ts'] } : {}),
    // Some tests migrate a database of their own; on a loaded machine that alone can take tens of seconds.
    testTimeout: 120_000,
  },
}));

export default defineConfig({
  test: {
    reporters: ['default', './test/reporters/summary.ts'],
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The shared provider-adapter contract, one file per provider, against its fake server.
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      ...databaseProjects,
      // Spawned servers: waits follow progress (ready lines, health probes); these are only outer bounds for a
      // cold start on a loaded machine.
      {
        extends: true,
        test: {
          name: 'process',
          include: ['test/process/**/*.test.ts'],
          globalSetup: ['test/setup/pglite-template.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
      // The website widget in Debian's Chromium (playwright-core; .ci/run installs the package).
      // A page's state follows a server's answer; on a loaded CI machine that takes longer than expect.poll's 1 s
      // default (a widget reply's quick replies once missed it), so polls wait up to 10 s.
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/setup/pglite-template.ts'],
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
