/**
 * `edgebuild iso --dry-run` under GitHub Actions (GITHUB_ACTIONS=true): step
 * outputs in $GITHUB_OUTPUT, a table in $GITHUB_STEP_SUMMARY. CLI as a
 * subprocess against a fixture CanvOS repository (run `npm run build` first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';
import { SKIP_HOST_CHECKS } from './hostChecks.js';

let repo: FixtureRepo;
let dir: string;
beforeAll(() => {
  repo = createCanvosRepo([{ name: 'v4.5.15' }]);
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-gha-'));
  writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
});
afterAll(() => {
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n?\2\n/gm;
  for (const m of text.matchAll(pattern)) outputs[m[1]!] = m[3]!;
  return outputs;
}

test('a dry run writes status planned, tag and commit to the step outputs and a summary table', async () => {
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(output, 'earlier=1\n');
  const r = await runCli(
    ['iso', '--dry-run', '--json', '--repo', repo.url, '--tag', 'v4.5.15', '--user-data', 'user-data.yaml', '--cache-dir', 'cache', '--work-dir', 'work', ...SKIP_HOST_CHECKS],
    { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary } },
  );
  expect(r.stderr).not.toContain('error');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'planned', tag: 'v4.5.15' });

  const text = readFileSync(output, 'utf8');
  expect(text.startsWith('earlier=1\n')).toBe(true); // appended, not overwritten
  expect(parseOutputs(text)).toEqual({
    status: 'planned',
    tag: 'v4.5.15',
    commit: repo.commits['v4.5.15'],
    'pe-version': 'v4.5.15',
    iso: '',
    sha256: '',
    manifest: '',
    log: '',
    error: '',
  });
  const table = readFileSync(summary, 'utf8');
  expect(table).toContain('| Status | **planned** |');
  expect(table).toContain(`| Commit | \`${repo.commits['v4.5.15']}\` |`);
});

test('a failed run still writes status error and the message for later steps', async () => {
  const output = join(dir, 'output-error');
  const summary = join(dir, 'summary-error');
  const r = await runCli(
    ['iso', '--dry-run', '--json', '--repo', repo.url, '--tag', 'v4.5.0', '--user-data', 'user-data.yaml', '--cache-dir', 'cache', '--work-dir', 'work', ...SKIP_HOST_CHECKS],
    { cwd: dir, env: { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary } },
  );
  expect(r.code).toBe(2);
  const outputs = parseOutputs(readFileSync(output, 'utf8'));
  expect(outputs).toMatchObject({ status: 'error', tag: 'v4.5.0', iso: '' });
  expect(outputs.error).toMatch(/^tag v4\.5\.0 does not exist in .*\. Fix: use one of v4\.5\.15/);
  expect(readFileSync(summary, 'utf8')).toContain('| Status | **error** |');
});
