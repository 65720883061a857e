/**
 * `edgebuild doctor` as a subprocess: against the real engine on DOCKER_HOST
 * (the private test engine refuses privileged containers), a missing socket,
 * a daemon that never answers, and a PATH without git.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_IDS, type Check } from '../../src/core/preflight/checks.js';
import { runCli } from './cli.js';
import { describeDocker, dockerHost, testImage } from './dockerGuard.js';

interface Report {
  status: 'ok' | 'failed';
  checks: Check[];
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-doctor-'));
  mkdirSync(join(dir, 'build-configs'));
  // Thresholds any test machine meets, so what is tested is the engine; the probe uses the local test image.
  writeFileSync(join(dir, 'build-configs', 'default.yaml'), `preflight:\n  minCpus: 1\n  minMemoryGB: 1\n  minDiskGB: 1\n  probeImage: ${testImage}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byId = (report: Report): Record<string, Check> => Object.fromEntries(report.checks.map((c) => [c.id, c]));

/** What the engine does with `docker run --privileged`, and its words when it refuses. */
function privilegedTruth(): { allowed: boolean; engineText?: string } {
  const run = spawnSync('docker', ['run', '--rm', '--privileged', '--network', 'none', '--entrypoint', 'true', testImage], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost } });
  if (run.status === 0) return { allowed: true };
  return { allowed: false, engineText: /Error response from daemon: (.*?)\.?$/m.exec(run.stderr)?.[1] ?? run.stderr };
}

describeDocker('doctor against a real engine', () => {
  test('--json: one document, every check in order; the privileged probe says what the engine says; exit 3 when refused', async () => {
    const result = await runCli(['doctor', '--json'], { cwd: dir });
    const report = JSON.parse(result.stdout) as Report;
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    const checks = byId(report);
    expect(checks.docker).toMatchObject({ status: 'pass', found: expect.stringContaining(dockerHost) });
    expect(checks['docker-version']!.status).toBe('pass');
    expect(checks.disk!.status).toBe('pass');
    expect(checks.git!.status).toBe('pass');
    const truth = privilegedTruth();
    if (truth.allowed) {
      expect(checks.privileged!.status).toBe('pass');
    } else {
      expect(checks.privileged).toMatchObject({ status: 'fail', found: 'refused', message: `the engine refused a privileged container: ${truth.engineText}` });
      if (dockerHost === 'unix:///tmp/edgebuild-dockerd/docker.sock') expect(checks.privileged!.message).toContain('unable to apply caps');
    }
    const failed = report.checks.some((c) => c.status === 'fail');
    expect(report.status).toBe(failed ? 'failed' : 'ok');
    expect(result.code).toBe(failed ? 3 : 0);
  });

  test('the human table: check, required, found, status, how to fix', async () => {
    const result = await runCli(['doctor', '--skip-check', 'privileged'], { cwd: dir });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^check\s+required\s+found\s+status\s+how to fix$/);
    expect(lines.find((l) => l.startsWith('docker-version'))).toMatch(/^docker-version\s+>= 18\.09\s+\S+.*\s+PASS$/);
    expect(lines.find((l) => l.startsWith('privileged'))).toMatch(/\s+SKIP/);
    expect(result.stderr).toMatch(/^warning: preflight check "privileged" skipped \(--skip-check\)/m);
    expect(result.code).toBe(result.stdout.includes(' FAIL ') ? 3 : 0);
  });

  test('--skip-check privileged: no probe runs, the check is skip, and a warning says so', async () => {
    const result = await runCli(['doctor', '--json', '--skip-check', 'privileged'], { cwd: dir });
    const checks = byId(JSON.parse(result.stdout) as Report);
    expect(checks.privileged).toMatchObject({ status: 'skip', message: 'skipped by --skip-check; not checked: the probe did not run' });
    expect(result.stderr).toContain('warning: preflight check "privileged" skipped (--skip-check)');
  });

  test('thresholds come from --config: an impossible one fails with its fix', async () => {
    writeFileSync(join(dir, 'huge.yaml'), 'preflight:\n  minCpus: 4096\n  minMemoryGB: 100000\n');
    const result = await runCli(['doctor', '--json', '--config', 'huge.yaml', '--skip-check', 'privileged'], { cwd: dir });
    expect(result.code).toBe(3);
    const checks = byId(JSON.parse(result.stdout) as Report);
    expect(checks.cpu).toMatchObject({ status: 'fail', required: '>= 4096 CPUs', fix: expect.any(String) });
    expect(checks.memory).toMatchObject({ status: 'fail', required: '100000 GB (>= 90000 GiB reported)' });
  });

  test('without git on PATH: git fails, naming the fix', async () => {
    const empty = join(dir, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const result = await runCli(['doctor', '--json', '--skip-check', 'privileged'], { cwd: dir, env: { PATH: empty } });
    expect(result.code).toBe(3);
    expect(byId(JSON.parse(result.stdout) as Report).git).toMatchObject({ status: 'fail', found: 'not found', message: 'git is not usable: git is not installed or not on PATH', fix: expect.stringMatching(/install git/) });
  });
});

describe('doctor without an engine', () => {
  test('DOCKER_HOST naming a missing socket: exit 3, the socket and the likely fix; engine checks not run', async () => {
    const socket = join(dir, 'missing', 'docker.sock');
    const result = await runCli(['doctor', '--json'], { cwd: dir, env: { DOCKER_HOST: `unix://${socket}` } });
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.status).toBe('failed');
    const checks = byId(report);
    expect(checks.docker).toEqual({
      id: 'docker',
      status: 'fail',
      required: 'the engine answers',
      found: `no answer at unix://${socket}`,
      message: `no Docker socket at ${socket}: unix://${socket} (from DOCKER_HOST)`,
      fix: 'start the Docker daemon (sudo systemctl start docker; Docker Desktop: start the app), or point DOCKER_HOST at the socket the daemon listens on (rootless Docker: unix://$XDG_RUNTIME_DIR/docker.sock)',
    });
    expect(checks['docker-version']!.status).toBe('skip');
    expect(checks.privileged!.status).toBe('skip');
    expect(checks.disk).toMatchObject({ status: 'warn', message: expect.stringContaining('not checked: Docker data root unknown: the Docker engine did not answer') });
  });

  test('a daemon that accepts and never answers: doctor ends at the deadline (EDGEBUILD_DOCKER_TIMEOUT) and says so', async () => {
    const socket = join(dir, 'hung.sock');
    const held: Socket[] = [];
    const server: Server = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const result = await runCli(['doctor', '--json'], { cwd: dir, env: { DOCKER_HOST: `unix://${socket}`, EDGEBUILD_DOCKER_TIMEOUT: '0.5' } });
      expect(result.code).toBe(3);
      expect(byId(JSON.parse(result.stdout) as Report).docker).toMatchObject({
        status: 'fail',
        message: `the Docker engine at unix://${socket} (from DOCKER_HOST) did not answer within 500 ms (GET /_ping)`,
        fix: expect.stringMatching(/hung or overloaded/),
      });
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('an unknown --skip-check id is exit 2, listing the known ones', async () => {
    const result = await runCli(['doctor', '--json', '--skip-check', 'cpu,ram'], { cwd: dir, env: { DOCKER_HOST: `unix://${join(dir, 'none.sock')}` } });
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout) as { status: string; error: { code: string; message: string } };
    expect(body.status).toBe('error');
    expect(body.error.code).toBe('unknown-check');
    expect(body.error.message).toContain('use ids from: arch, cpu, memory, disk, git, docker, docker-version, privileged, or all');
  });
});
