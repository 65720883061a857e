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

test('wider than the terminal: one block per check, every line within the width', () => {
  const long = 'raise the CPU quota of this container or cgroup (docker run --cpus, systemd CPUQuota=) or build on a larger host; the build needs 4 usable CPUs';
  const checks: Check[] = [
    { id: 'cpu', status: 'fail', required: '>= 4 CPUs', found: '2 (cgroup CPU quota 2; host has 16; affinity 0-15)', message: `only 2 CPUs usable by this process; the build needs 4. ${long}`, fix: long },
    { id: 'git', status: 'pass', required: 'installed', found: 'git 2.39.5', message: 'git 2.39.5' },
  ];
  const lines = formatChecks(checks, 60).split('\n');
  expect(lines.filter((l) => l.length > 60)).toEqual([]);
  expect(lines.slice(0, 3)).toEqual(['cpu  FAIL', '  required: >= 4 CPUs', '  found: 2 (cgroup CPU quota 2; host has 16; affinity 0-15)']);
  expect(lines).toContain('git  PASS');
  expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(`how to fix: ${long}`);
});
