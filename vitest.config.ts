import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/setup/longestFirst.js';

/**
 * Three tiers (docs/development.md):
 * - unit: pure core and small adapters, no processes, no Docker; seconds.
 * - integration: real git, real parsers (bash, godotenv, Go yaml.v2), the
 *   Docker engine, the CLI run in-process through run(argv, io).
 * - e2e: where the process itself is the point: the built CLI as a
 *   subprocess (start-up, signals, builds, the packed tarball).
 */
export const E2E = [
  'test/integration/startup.test.ts',
  'test/integration/interrupt.test.ts',
  'test/integration/package.test.ts',
  'test/integration/isoBuild.test.ts',
  'test/integration/publishVerify.test.ts',
  'test/integration/remasterInterrupt.test.ts',
  'test/integration/cliBundle.test.ts',
  'test/integration/compileCache.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Three workers on two CPUs: the long files mostly wait (Docker, QEMU,
    // a registry hashing, grace periods), so a third file fills the gaps; the
    // files whose fixture builds share the engine take turns
    // (oneBuildFileAtATime in test/integration/dockerGuard.ts).
    maxWorkers: 3,
    // Files share their worker's module cache instead of importing src/ and
    // its dependencies afresh each: 15% of the integration tier's CPU, 60% of
    // the unit tier's. No test keeps module state between files (no vi.mock,
    // no module-level mutation; hooks are registered by the test file).
    isolate: false,
    setupFiles: ['test/setup/fastCheck.ts'],
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
