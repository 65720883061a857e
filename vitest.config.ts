import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests share one Docker engine and spawn many processes; two
    // workers keep a 2-CPU machine responsive.
    maxWorkers: 2,
  },
});
