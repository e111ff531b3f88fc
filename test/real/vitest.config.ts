import { defineConfig } from 'vitest/config';

// npm run test:real: the suite against the real services (see services.ts), one file at a time.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
    env: { DOTENV_CONFIG_QUIET: 'true' },
  },
});
