import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files that never open the suite's database (pure functions, the CLI's offline tools,
 * fakes of outside services, SQLite-only internals): the PostgreSQL pass
 * (DATABASE_URL=postgres://…) leaves them out, since the SQLite pass already ran them
 * exactly as they would run again.
 */
const NO_SUITE_DATABASE = [
  'test/unit/**',
  'test/deploy/**',
  'test/api/cli-tools.test.ts',
  'test/api/dashboard-static.test.ts',
  'test/inbound/verify.test.ts',
  'test/meetings/request.test.ts',
  'test/okdesk/emulator.test.ts',
  'test/okdesk/lazy-load.test.ts',
  'test/okdesk/okdesk-client.test.ts',
  'test/okdesk/poll-stop.test.ts',
];
const onPostgres = /^postgres(ql)?:/.test(process.env.DATABASE_URL ?? '');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-browser tests run with `npm run test:browser` (vitest.browser.config.ts).
    exclude: [...configDefaults.exclude, 'test/browser/**', ...(onPostgres ? NO_SUITE_DATABASE : [])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Files share their worker process instead of each loading the sources afresh: on this
    // two-core machine that loading was a third of each pass (the servers a file starts are
    // its own, and every file closes them). A test must not rely on process-wide state.
    isolate: false,
    // Two files at a time even on two cores (vitest's default there is one): most of a
    // file's time is spent waiting — on timers, retries, child processes and servers — not
    // computing. On two cores the SQLite pass went from 3m04 to 1m44, PostgreSQL's from
    // 5m23 to 2m29. More cores: vitest's own default (one per core but one).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
