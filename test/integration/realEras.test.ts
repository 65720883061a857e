/**
 * Opt-in tier: the REAL earthly.sh of several CanvOS tags, from a CanvOS
 * clone named by EDGEBUILD_CANVOS_REPO (a path or URL; the GitHub workflow
 * clones spectrocloud/CanvOS and sets it), each run by `edgebuild iso` with
 * the stand-in docker CLI on PATH (test/fixtures/standInDocker.ts). Without
 * the variable the tier is skipped and says why. A tag the clone lacks is
 * skipped too (the list is CanvOS's, not ours to rewrite).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeDocker } from './dockerGuard.js';
import { installStandInDocker } from '../fixtures/standInDocker.js';
import { CLI, USER_DATA, cliEnv, exec, runCli } from './isoHelpers.js';

const CANVOS = process.env.EDGEBUILD_CANVOS_REPO;
const WHY = 'EDGEBUILD_CANVOS_REPO is not set: set it to a clone of https://github.com/spectrocloud/CanvOS to run the real earthly.sh of several tags (the CI workflow does)';
if (!CANVOS) console.warn(`realEras.test.ts skipped: ${WHY}`);

/** The tags this tier runs, one per era: before/after the broken error check, canonical, Ubuntu Pro from the environment. */
const TAGS = { early: 'v4.4.13', broken: 'v4.5.15', brokenLast: 'v4.6.24', canonical: 'v4.9.38', pro: 'v4.10.0' };
const PRO_KEY = 'real-pr0-k3y-fedcba9876543210';

const present = (tag: string): boolean => {
  try {
    execFileSync('git', ['--git-dir', gitDir(CANVOS!), 'rev-parse', '--verify', '-q', `refs/tags/${tag}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const gitDir = (repo: string): string => (existsSync(join(repo, '.git')) ? join(repo, '.git') : repo);

let root: string;

// The engine serves the preflight, the lock and the cleanup, as in eras.test.ts.
(CANVOS ? describeDocker : describe.skip)('the real earthly.sh of CanvOS tags (EDGEBUILD_CANVOS_REPO)', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
    root = mkdtempSync(join(tmpdir(), 'edgebuild-real-'));
    writeFileSync(join(root, 'user-data.yaml'), USER_DATA);
    writeFileSync(join(root, 'corp-ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n');
    writeFileSync(join(root, 'proxy-certs.yaml'), 'files:\n  - from: corp-ca.crt\n    to: certs/corp-ca.crt\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const iso = async (name: string, tag: string, extra: string[] = [], env: Record<string, string> = {}) => {
    const docker = installStandInDocker(join(root, name));
    const args = [CLI, 'iso', '--json', '--repo', CANVOS!, '--tag', tag, '--user-data', join(root, 'user-data.yaml'), '--out', join(root, name, 'dist'), '--work-dir', join(root, name, 'work'), '--cache-dir', join(root, 'cache'), '--skip-check', 'cpu,memory,disk,privileged', ...extra];
    const result = await runCli(args, cliEnv({ ...docker.env, ...env }), root);
    const logDir = join(root, name, 'work', 'logs');
    const log = existsSync(logDir) ? (await exec('sh', ['-c', `cat "${logDir}"/*.log`])).stdout : '';
    return { ...result, log, docker };
  };

  test('iso --dry-run: canonical accepted on v4.9.38, a Kubernetes version its k8s_version.json lacks refused (exit 2)', { timeout: 300_000 }, async () => {
    if (!present(TAGS.canonical)) return console.warn(`skipped: ${TAGS.canonical} is not in ${CANVOS}`);
    const versions = JSON.parse(execFileSync('git', ['--git-dir', gitDir(CANVOS!), 'show', `${TAGS.canonical}:k8s_version.json`], { encoding: 'utf8' })) as Record<string, string[]>;
    const ok = await iso('dry-canonical', TAGS.canonical, ['--dry-run', '--arg', 'K8S_DISTRIBUTION=canonical', '--arg', `K8S_VERSION=${versions.canonical![0]}`]);
    expect(ok.code, ok.stdout).toBe(0);
    const bad = await iso('dry-bad', TAGS.canonical, ['--dry-run', '--arg', 'K8S_VERSION=9.99.9']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(`CanvOS ${TAGS.canonical} builds (k8s_version.json)`);
  });

  test.each([TAGS.early, TAGS.broken, TAGS.canonical])('%s: the plain path builds a verified ISO', { timeout: 300_000 }, async (tag) => {
    if (!present(tag)) return console.warn(`skipped: ${tag} is not in ${CANVOS}`);
    const run = await iso(`plain-${tag}`, tag);
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    expect(run.docker.calls().some((c) => c.argv.some((a) => /earthly\/earthly:/.test(a)))).toBe(true);
  });

  test.each([TAGS.broken, TAGS.brokenLast])('%s: the broken error check exits 0 after a failed build; edgebuild exits 1', { timeout: 300_000 }, async (tag) => {
    if (!present(tag)) return console.warn(`skipped: ${tag} is not in ${CANVOS}`);
    const run = await iso(`broken-${tag}`, tag, [], { EDGEBUILD_STANDIN_FAIL: 'build-iso failed' });
    expect(run.log).toContain('command not found');
    expect(run.code, run.stdout).toBe(1);
  });

  test('v4.9.38 proxy path: the real docker exec -it … update-ca-certificates gets a terminal and the build succeeds', { timeout: 300_000 }, async () => {
    if (!present(TAGS.canonical)) return console.warn(`skipped: ${TAGS.canonical} is not in ${CANVOS}`);
    const run = await iso('proxy', TAGS.canonical, ['--config', join(root, 'proxy-certs.yaml')]);
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    expect(run.docker.calls().find((c) => c.argv[0] === 'exec')).toMatchObject({ tty: true, argv: ['exec', '-it', 'earthly-buildkitd', 'update-ca-certificates'] });
    expect(run.log).not.toContain('\r');
    expect(run.log).not.toContain('\u001b');
  });

  test('v4.10.0 Ubuntu Pro: refused without the key in the environment; with it, passed as an Earthly secret only', { timeout: 300_000 }, async () => {
    if (!present(TAGS.pro)) return console.warn(`skipped: ${TAGS.pro} is not in ${CANVOS}`);
    const missing = await iso('pro-missing', TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true']);
    expect(missing.code).toBe(2);
    const run = await iso('pro', TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true'], { UBUNTU_PRO_KEY: PRO_KEY });
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    const earthly = run.docker.calls().find((c) => c.argv.some((a) => /earthly\/earthly:/.test(a)))!;
    expect(earthly.pro).toBe(true);
    expect(earthly.argv).toEqual(expect.arrayContaining(['--secret', 'UBUNTU_PRO_KEY']));
    expect(readFileSync(join(root, 'pro', 'standin-state', 'calls'), 'utf8')).not.toContain(PRO_KEY);
    expect(run.log + run.stdout + run.stderr).not.toContain(PRO_KEY);
  });
});

// Shown as skipped, with the reason, in every run without the variable.
if (!CANVOS) test.skip(`the real-tag tier: ${WHY}`, () => undefined);
