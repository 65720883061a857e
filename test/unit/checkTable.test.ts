import { expect, test } from 'vitest';
import { formatChecks } from '../../src/cli/checkTable.js';
import type { Check } from '../../src/core/preflight/checks.js';

test('a table with aligned columns; fixes only for checks that did not pass; the full message below', () => {
  const checks: Check[] = [
    { id: 'cpu', status: 'pass', required: '>= 4 CPUs', found: '8', message: '8 CPUs usable' },
    { id: 'privileged', status: 'fail', required: 'privileged containers run', found: 'refused', message: 'the engine refused a privileged container: unable to apply caps', fix: 'allow privileged containers' },
    { id: 'git', status: 'skip', required: 'installed', found: 'git 2.39.5', message: 'skipped by --skip-check; it would pass: git 2.39.5' },
  ];
  expect(formatChecks(checks).split('\n')).toEqual([
    'check       required                   found       status  how to fix',
    'cpu         >= 4 CPUs                  8           PASS',
    'privileged  privileged containers run  refused     FAIL    allow privileged containers',
    'git         installed                  git 2.39.5  SKIP',
    '',
    'privileged: the engine refused a privileged container: unable to apply caps',
    'git: skipped by --skip-check; it would pass: git 2.39.5',
  ]);
});
