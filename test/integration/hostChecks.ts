/**
 * Tests of the plan (iso --dry-run) skip the build-host checks: they run on
 * machines without 4 CPUs or 150 GB free, and preflight has its own tests.
 * The ids come from the preflight module when the project has one, so a
 * check added later is skipped too; before it exists there is nothing to skip.
 */
async function checkIds(): Promise<string[]> {
  const module = '../../src/core/preflight.js'; // not a literal: the module may not exist yet
  try {
    return [...((await import(module)) as { CHECK_IDS: readonly string[] }).CHECK_IDS];
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url/i.test(String(error))) return [];
    throw error;
  }
}

const ids = await checkIds();
export const SKIP_HOST_CHECKS: string[] = ids.length > 0 ? ['--skip-check', ids.join(',')] : [];
