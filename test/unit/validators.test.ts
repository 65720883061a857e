/**
 * The validators edgebuild runs are compiled ahead of time from the schemas
 * it ships (scripts/compile-validators.mjs, run by `npm run build`). A schema
 * edited without regenerating its validator would validate against the old
 * schema: this fails then.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/compile-validators.mjs');

test('src/core/validators/ is what build-configs/*.schema.json compile to', () => {
  const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
