/**
 * `edgebuild iso` runs the preflight after planning and before it touches the
 * checkout: a failed check is exit 3 with nothing checked out, `--skip-check`
 * turns it into a warning, and `--dry-run --json` carries the checks.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_IDS, type Check } from '../../src/core/preflight/checks.js';
import { createCanvosRepo, TYPICAL_TAGS, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';
import { describeDocker, testImage } from './dockerGuard.js';

let repo: FixtureRepo;
let dir: string;

beforeAll(() => {
  repo = createCanvosRepo(TYPICAL_TAGS);
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-isopre-'));
  cpSync('user-data', join(dir, 'user-data'), { recursive: true });
  // The default build config of the repository, with thresholds any test machine meets.
  writeFileSync(join(dir, 'build.yaml'), `userData: user-data/default.yaml\npreflight:\n  minCpus: 1\n  minMemoryGB: 1\n  minDiskGB: 1\n  probeImage: ${testImage}\n`);
});
afterAll(() => {
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ EDGE_HOST_TOKEN: 'tok', XDG_CACHE_HOME: join(dir, 'cache') });
const iso = (workDir: string, ...extra: string[]) => runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--config', 'build.yaml', '--work-dir', workDir, ...extra], { cwd: dir, env: env() });

describe('iso and the preflight', () => {
  test('an unknown --skip-check id is exit 2 before anything is fetched', async () => {
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--config', 'build.yaml', '--skip-check', 'privileged,ram'], {
      cwd: dir,
      env: { ...env(), XDG_CACHE_HOME: join(dir, 'cache-never') },
    });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'error', error: { code: 'unknown-check' } });
    expect(existsSync(join(dir, 'cache-never'))).toBe(false);
  });

  test('an engine that is not there: exit 3 naming the socket, and no checkout is made', async () => {
    const socket = join(dir, 'missing.sock');
    const result = await runCli(['iso', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--config', 'build.yaml', '--work-dir', 'w1'], {
      cwd: dir,
      env: { ...env(), DOCKER_HOST: `unix://${socket}` },
    });
    expect(result.code).toBe(3);
    const body = JSON.parse(result.stdout) as { status: string; error: { code: string; exitCode: number; message: string; checks: Check[] } };
    expect(body.error).toMatchObject({ code: 'preflight-failed', exitCode: 3 });
    expect(body.error.message).toContain(`docker: no Docker socket at ${socket}`);
    expect(body.error.message).toContain('or skip with --skip-check docker');
    expect(body.error.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(existsSync(join(dir, 'w1', 'canvos'))).toBe(false);
    expect(result.stderr).toMatch(/Check the build host/);
  });
});

describe('a plan needs no build host', () => {
  test('--dry-run on a host that fails checks: exit 0, the plan carries the failed checks and each is a warning', async () => {
    const socket = join(dir, 'missing.sock');
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--config', 'build.yaml', '--work-dir', 'w4'], {
      cwd: dir,
      env: { ...env(), DOCKER_HOST: `unix://${socket}` },
    });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { status: string; checks: Check[]; warnings: string[] };
    expect(plan.status).toBe('planned');
    expect(plan.checks.find((c) => c.id === 'docker')!.status).toBe('fail');
    expect(plan.warnings).toContainEqual(expect.stringMatching(/^preflight check "docker" fails \(a build would stop here, exit 3\): no Docker socket at /));
    expect(result.stderr).toContain('warning: preflight check "docker" fails');
    expect(existsSync(join(dir, 'w4', 'canvos', 'user-data'))).toBe(true);
  });

  test('--skip-check all skips every check, each with a warning', async () => {
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--config', 'build.yaml', '--work-dir', 'w5', '--skip-check', 'all'], {
      cwd: dir,
      env: { ...env(), DOCKER_HOST: `unix://${join(dir, 'missing.sock')}` },
    });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { checks: Check[]; warnings: string[] };
    expect(plan.checks.map((c) => [c.id, c.status])).toEqual(CHECK_IDS.map((id) => [id, 'skip']));
    expect(plan.warnings.filter((w) => w.includes('skipped (--skip-check)'))).toHaveLength(CHECK_IDS.length);
  });
});

describeDocker('iso and the preflight on a real engine', () => {
  test('--skip-check of whatever fails: the plan carries every check, and each skip is a warning', async () => {
    // First learn what fails on this engine (the private test engine refuses privileged containers).
    const first = await iso('w2');
    const failing = first.code === 3 ? (JSON.parse(first.stdout) as { error: { checks: Check[] } }).error.checks.filter((c) => c.status === 'fail').map((c) => c.id) : [];
    if (first.code === 3) expect(existsSync(join(dir, 'w2', 'canvos'))).toBe(false);
    else expect(first.code).toBe(0);

    const result = await iso('w3', '--skip-check', [...failing, 'git'].join(','));
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { status: string; checks: Check[]; warnings: string[] };
    expect(plan.status).toBe('planned');
    expect(plan.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const id of [...failing, 'git']) {
      expect(plan.checks.find((c) => c.id === id)!.status).toBe('skip');
      expect(plan.warnings.some((w) => w.startsWith(`preflight check "${id}" skipped (--skip-check)`))).toBe(true);
      expect(result.stderr).toContain(`warning: preflight check "${id}" skipped (--skip-check)`);
    }
    expect(plan.checks.find((c) => c.id === 'docker')!.status).toBe('pass');
    expect(existsSync(join(dir, 'w3', 'canvos', 'user-data'))).toBe(true);
  });
});
