import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real processes on loopback; two cores are shared with them.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    maxWorkers: 2,
    // The JSON report gives CI its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'logs/test-results.json' }]],
  },
});
