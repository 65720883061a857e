/**
 * `edgebuild iso --target` accepts only targets it can verify (issue 14):
 * provider images point to their own command, anything else is exit 2 unless
 * --target-unverified runs it with only the exit status checked, loudly.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { earthlyScript } from '../fixtures/earthlyScript.js';
import { describeDocker } from './dockerGuard.js';
import { runCli } from './cli.js';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';

let repo: FixtureRepo;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-targets-'));
  repo = createCanvosRepo([{ name: 'v4.6.24', files: { 'earthly.sh': earthlyScript('success') } }], join(dir, 'origin'));
  writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iso = (name: string, extra: string[]) =>
  runCli(['iso', '--json', '--repo', repo.path, '--tag', 'v4.6.24', '--user-data', join(dir, 'user-data.yaml'), '--out', join(dir, name, 'dist'), '--work-dir', join(dir, name, 'work'), '--cache-dir', join(dir, 'cache'), '--skip-check', CHECK_IDS.join(','), ...extra], { cwd: dir });

test.each([
  ['+build-provider-images', /builds provider images, not an ISO\. Fix: run edgebuild provider-images/],
  ['+build-provider-images-fips', /builds provider images, not an ISO\. Fix: run edgebuild provider-images/],
  ['+build-all-images', /^--target \+build-all-images is not a target edgebuild iso can verify \(it verifies \+iso \(and \+iso-\* variants\)/],
  ['+uki-genkey', /makes no ISO and edgebuild does not verify its output yet.*--target-unverified/],
])('iso --target %s is exit 2 before anything is checked out', async (target, message) => {
  const run = await iso('refused', ['--dry-run', '--target', target]);
  expect(run.code).toBe(2);
  expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message).toMatch(message);
});

test('--target-unverified does not open the door to provider images', async () => {
  const run = await iso('refused', ['--dry-run', '--target', '+build-provider-images', '--target-unverified']);
  expect(run.code).toBe(2);
});

describeDocker('iso --target-unverified', () => {
  test('runs the target, checks only its exit status, says so loudly and publishes nothing', { timeout: 120_000 }, async () => {
    const run = await iso('unverified', ['--target', '+build-all-images', '--target-unverified']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; target: string; log: string; warnings: string[] };
    expect(doc).toMatchObject({ status: 'unverified', target: '+build-all-images' });
    expect(doc.warnings.join('\n')).toContain('UNVERIFIED: --target-unverified runs +build-all-images with only its exit status checked');
    expect(run.stderr).toContain('UNVERIFIED');
    expect(existsSync(join(dir, 'unverified', 'dist'))).toBe(false);
  });
});
