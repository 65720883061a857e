/**
 * Every command's --json document says `status` (matrix aside: its document
 * is the `strategy.matrix` value, where another key would be another
 * dimension), and an error carries its `fix` as a field of its own.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, TYPICAL_TAGS, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';

let repo: FixtureRepo;
let dir: string;
beforeAll(() => {
  repo = createCanvosRepo(TYPICAL_TAGS);
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-json-status-'));
  for (const d of ['build-configs', 'user-data']) cpSync(d, join(dir, d), { recursive: true });
});
afterAll(() => {
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ XDG_CACHE_HOME: join(dir, 'cache'), EDGE_HOST_TOKEN: 'tok' });

test.each([
  [['tags', '--json']],
  [['versions', '--tag', 'v4.5.15', '--json']],
  [['registries', '--json']],
])('%j has status "ok"', async (args) => {
  const withRepo = args[0] === 'registries' ? args : [...args, '--repo', repo.url];
  const result = await runCli(withRepo, { cwd: dir, env: env() });
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ status: 'ok' });
});

test('an error document carries fix as its own field', async () => {
  const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.url, '--tag', 'v4.6'], { cwd: dir, env: env() });
  expect(result.code).toBe(2);
  const { error } = JSON.parse(result.stdout) as { error: { code: string; message: string; fix: string; suggestions: string[] } };
  expect(error.code).toBe('unknown-tag');
  expect(error.fix.length).toBeGreaterThan(5);
  expect(error.message).toContain(`Fix: ${error.fix}`);
  expect(error.suggestions[0]).toBe('v4.6.21');
});
