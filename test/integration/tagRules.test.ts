/**
 * The tag's own rules, end to end with `iso --dry-run` and `versions` against
 * a fixture repository whose tags carry CanvOS's k8s_version.json shape and
 * era earthly.sh scripts (test/fixtures/eraScript.ts).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { ERA_TAGS, eraFixtureTags } from '../fixtures/eraScript.js';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';
import { runCli } from './cli.js';

const PRO_KEY = 'C1pr0-t0ken-abcdef123456';
let repo: FixtureRepo;
let dir: string;

beforeAll(() => {
  repo = createCanvosRepo(eraFixtureTags());
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-tagrules-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ XDG_CACHE_HOME: join(dir, 'cache'), ...extra });
const dryRun = (tag: string, args: string[], extra: Record<string, string> = {}, workDir = 'work') =>
  runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', tag, '--user-data', join(import.meta.dirname, '../../user-data/default.yaml'), '--work-dir', join(dir, workDir), '--out', join(dir, 'dist'), '--skip-check', CHECK_IDS.join(','), ...args], { cwd: dir, env: env({ EDGE_HOST_TOKEN: 'tok-abc', ...extra }) });

describe('K8S_DISTRIBUTION and K8S_VERSION come from the tag', () => {
  test('canonical is accepted on v4.9.38, whose k8s_version.json lists it', async () => {
    const result = await dryRun(ERA_TAGS.canonical, ['--arg', 'K8S_DISTRIBUTION=canonical', '--arg', 'K8S_VERSION=1.32.5']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'planned', arg: { K8S_DISTRIBUTION: 'canonical', K8S_VERSION: '1.32.5' } });
  });

  test('a version no tag supports is refused (exit 2) naming the tag and the nearest allowed versions', async () => {
    const result = await dryRun(ERA_TAGS.canonical, ['--arg', 'K8S_VERSION=1.30.9']);
    expect(result.code).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { message: string; code: string } }).error;
    expect(error.message).toContain('--arg K8S_VERSION: K8S_VERSION=1.30.9 is not a k3s version CanvOS v4.9.38 builds (k8s_version.json)');
    expect(error.message).toContain('Fix: set K8S_VERSION to one of the nearest, 1.29.14, 1.30.10, 1.31.6');
    expect(error.code).toBe('arg-tag');
    expect((await dryRun(ERA_TAGS.canonical, ['--arg', 'K8S_VERSION=9.99.9'])).code).toBe(2);
  });

  test('canonical is refused on a tag whose k8s_version.json does not list it', async () => {
    const result = await dryRun(ERA_TAGS.broken, ['--arg', 'K8S_DISTRIBUTION=canonical']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('is not a distribution CanvOS v4.5.15 builds (its k8s_version.json has k3s, kubeadm, rke2, kubeadm-fips, nodeadm)');
  });

  test('a tag without k8s_version.json falls back to the built-in list with a warning', async () => {
    const ok = await dryRun(ERA_TAGS.old, ['--arg', 'K8S_DISTRIBUTION=rke2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { warnings: string[] }).warnings.join('\n')).toContain('v4.4.5 has no usable k8s_version.json');
    expect((await dryRun(ERA_TAGS.old, ['--arg', 'K8S_DISTRIBUTION=canonical'])).code).toBe(2);
  });

  test('edgebuild versions --tag lists the versions per distribution', async () => {
    const result = await runCli(['versions', '--json', '--repo', repo.path, '--tag', ERA_TAGS.canonical], { cwd: dir, env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tag: 'v4.9.38', source: 'k8s_version.json', distributions: { canonical: ['1.32.3', '1.32.5', '1.32.6'] }, ubuntuProFromEnv: false });
    const pro = JSON.parse((await runCli(['versions', '--json', '--repo', repo.path, '--tag', ERA_TAGS.pro], { cwd: dir, env: env() })).stdout) as { ubuntuProFromEnv: boolean };
    expect(pro.ubuntuProFromEnv).toBe(true);
    const old = await runCli(['versions', '--repo', repo.path, '--tag', ERA_TAGS.old], { cwd: dir, env: env() });
    expect(old.stdout).toContain('k3s: (versions not listed by this tag)');
  });
});

describe('Ubuntu Pro on a tag whose earthly.sh takes the token from the environment', () => {
  test('UBUNTU_PRO_ATTACH=true without UBUNTU_PRO_KEY in the environment: exit 2 naming it, nothing checked out', async () => {
    const result = await dryRun(ERA_TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true'], {}, 'pro-missing');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('UBUNTU_PRO_KEY is not set in the environment');
    expect(() => statSync(join(dir, 'pro-missing', 'canvos'))).toThrow();
  });

  test('a token in --arg is refused on such a tag, and never shown', async () => {
    const result = await dryRun(ERA_TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true', '--arg', `UBUNTU_PRO_KEY=${PRO_KEY}`], { UBUNTU_PRO_KEY: PRO_KEY });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('UBUNTU_PRO_KEY must not be in .arg for CanvOS v4.10.0');
    expect(result.stdout + result.stderr).not.toContain(PRO_KEY);
  });

  test('with the token in the environment the plan keeps it out of .arg', async () => {
    const result = await dryRun(ERA_TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true'], { UBUNTU_PRO_KEY: PRO_KEY }, 'pro-env');
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'pro-env', 'canvos', '.arg'), 'utf8')).not.toContain('UBUNTU_PRO_KEY');
  });

  test('older tags keep reading the token from .arg: masked in the plan, .arg 0600', async () => {
    const result = await dryRun(ERA_TAGS.canonical, ['--arg', 'UBUNTU_PRO_ATTACH=true', '--arg', `UBUNTU_PRO_KEY=${PRO_KEY}`], {}, 'pro-old');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(PRO_KEY);
    expect((JSON.parse(result.stdout) as { arg: Record<string, string> }).arg.UBUNTU_PRO_KEY).toBe('***');
    const argFile = join(dir, 'pro-old', 'canvos', '.arg');
    expect(readFileSync(argFile, 'utf8')).toContain(`UBUNTU_PRO_KEY=${PRO_KEY}`);
    expect(statSync(argFile).mode & 0o777).toBe(0o600);
  });
});
