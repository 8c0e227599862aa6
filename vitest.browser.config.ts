import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: tests that drive a real Chromium (kept out of `npm test`). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
