import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The suite against real services has its own package and command (npm run test:real).
    exclude: ['test/real/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: { DOTENV_CONFIG_QUIET: 'true' },
  },
});
