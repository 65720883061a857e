/**
 * Every CanvOS era builds: `edgebuild iso` end to end (the CLI as a
 * subprocess) on generated era earthly.sh scripts (test/fixtures/eraScript.ts)
 * that call the stand-in docker CLI (test/fixtures/standInDocker.ts) on PATH.
 * The real engine on DOCKER_HOST serves the preflight, the lock and the
 * cleanup; every `docker` call of earthly.sh goes to the stand-in.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeDocker } from './dockerGuard.js';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { ERA_TAGS, eraFixtureTags } from '../fixtures/eraScript.js';
import { installStandInDocker, type StandInDocker } from '../fixtures/standInDocker.js';
import { CLI, SECRET, USER_DATA, cliEnv, exec, runCli } from './isoHelpers.js';
import { tmpdir } from 'node:os';

const PRO_KEY = 'pr0-k3y-0123456789abcdef';
let root: string;
let repo: FixtureRepo;

beforeAll(async () => {
  if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
  root = mkdtempSync(join(tmpdir(), 'edgebuild-eras-'));
  repo = createCanvosRepo(eraFixtureTags(), join(root, 'origin'));
  writeFileSync(join(root, 'user-data.yaml'), USER_DATA);
  writeFileSync(join(root, 'corp-ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n');
  // The proxy path, taken because certs/ holds a file (as CanvOS documents for a TLS-intercepting proxy).
  writeFileSync(join(root, 'proxy-certs.yaml'), 'files:\n  - from: corp-ca.crt\n    to: certs/corp-ca.crt\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One build in its own work dir, with its own stand-in docker. */
async function build(name: string, tag: string, extra: string[] = [], env: Record<string, string> = {}) {
  const docker: StandInDocker = installStandInDocker(join(root, name));
  const args = [CLI, 'iso', '--json', '--repo', repo.path, '--tag', tag, '--user-data', join(root, 'user-data.yaml'), '--out', join(root, name, 'dist'), '--work-dir', join(root, name, 'work'), '--cache-dir', join(root, 'cache'), '--skip-check', 'cpu,memory,disk,privileged', ...extra];
  const result = await runCli(args, cliEnv({ ...docker.env, ...env }), root);
  const doc = JSON.parse(result.stdout || '{}') as { status?: string; logPath?: string; log?: string; error?: { message: string } };
  const logDir = join(root, name, 'work', 'logs');
  const log = existsSync(logDir) ? (await exec('sh', ['-c', `cat "${logDir}"/*.log`])).stdout : '';
  return { ...result, doc, log, docker };
}

describeDocker('CanvOS eras under the stand-in docker', () => {
  test("the proxy path: docker exec -it … update-ca-certificates gets a terminal, the CA reaches buildkitd, the ISO is built; the log stays plain text", { timeout: 120_000 }, async () => {
    const run = await build('proxy', ERA_TAGS.canonical, ['--config', join(root, 'proxy-certs.yaml')]);
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    const exec = run.docker.calls().find((c) => c.argv[0] === 'exec');
    expect(exec).toMatchObject({ tty: true, argv: ['exec', '-it', 'earthly-buildkitd', 'update-ca-certificates'] });
    expect(run.log).toContain('Updating certificates in /etc/ssl/certs...');
    expect(run.log).not.toContain('the input device is not a TTY');
    expect(run.log).not.toContain('\r');
    expect(run.log).not.toContain('\u001b');
    expect(run.log).not.toContain(SECRET);
  });

  test('without a proxy or certs the build gets no terminal (stdin stays /dev/null)', { timeout: 120_000 }, async () => {
    const run = await build('direct', ERA_TAGS.canonical);
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    const earthly = run.docker.calls().find((c) => c.argv.some((a) => a.includes('/earthly/earthly:')));
    expect(earthly?.tty).toBe(false);
    expect(run.docker.calls().some((c) => c.argv[0] === 'exec')).toBe(false);
  });

  test('v4.10 Ubuntu Pro: the token reaches the build only through the environment, masked in the log', { timeout: 120_000 }, async () => {
    const run = await build('pro', ERA_TAGS.pro, ['--arg', 'UBUNTU_PRO_ATTACH=true'], { UBUNTU_PRO_KEY: PRO_KEY });
    expect(run.code, `${run.stdout}\n${run.log}`).toBe(0);
    const earthly = run.docker.calls().find((c) => c.argv.some((a) => a.includes('/earthly/earthly:')))!;
    expect(earthly.pro).toBe(true);
    expect(earthly.argv).toEqual(expect.arrayContaining(['-e', 'UBUNTU_PRO_KEY', '--secret', 'UBUNTU_PRO_KEY']));
    expect(readFileSync(join(root, 'pro', 'standin-state', 'calls'), 'utf8')).not.toContain(PRO_KEY);
    expect(run.log).toContain('RUN pro attach ***');
    expect(run.log + run.stdout + run.stderr).not.toContain(PRO_KEY);
    expect(readFileSync(join(root, 'pro', 'work', 'canvos', '.arg'), 'utf8')).not.toContain('UBUNTU_PRO_KEY');
  });

  test('the v4.5.14–v4.6.24 broken error check: earthly.sh exits 0 after a failed build, edgebuild exits 1', { timeout: 120_000 }, async () => {
    const run = await build('broken', ERA_TAGS.broken, [], { EDGEBUILD_STANDIN_FAIL: 'build-iso failed' });
    expect(run.log).toContain('1: command not found');
    expect(run.code, run.stdout).toBe(1);
    expect(existsSync(join(root, 'broken', 'dist'))).toBe(false);
  });
});
