import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Test files run in parallel, but only two at a time: the machine has two cores, and sharp,
    // DuckDB and the Temporal dev server all want CPU too.
    maxWorkers: 2,
  },
});
