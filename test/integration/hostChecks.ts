/**
 * Tests of the plan (iso --dry-run) skip the build-host checks: they run on
 * machines without 4 CPUs or 150 GB free, and preflight has its own tests.
 * Every id is skipped, so a check added later is skipped too.
 */
import { CHECK_IDS } from '../../src/core/preflight/checks.js';

export const SKIP_HOST_CHECKS: string[] = ['--skip-check', CHECK_IDS.join(',')];
