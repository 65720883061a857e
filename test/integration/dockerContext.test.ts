/**
 * `docker context use` / DOCKER_CONTEXT: edgebuild checks the engine the
 * docker CLI in earthly.sh would use. A context pointing at a remote engine
 * fails the docker check with exit 3 and the reason, without contacting it;
 * one pointing at a local socket is followed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contextMetaPath } from '../../src/core/dockerContext.js';
import { createCanvosRepo } from '../fixtures/canvosRepo.js';
import { ERA_TAGS, eraFixtureTags } from '../fixtures/eraScript.js';
import { runCli } from './cli.js';

let home: string;
const SKIP = ['--skip-check', 'cpu,memory,disk,privileged'];

/** What `docker context create <name> --docker host=<host>` (and `docker context use`) write. */
function dockerContext(name: string, host: string, use: boolean): void {
  const meta = join(home, '.docker', contextMetaPath(name));
  mkdirSync(dirname(meta), { recursive: true });
  writeFileSync(meta, JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  if (use) writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'edgebuild-context-'));
  dockerContext('lab', 'tcp://203.0.113.7:2375', true);
  if (process.env.DOCKER_HOST?.startsWith('unix://')) dockerContext('local', process.env.DOCKER_HOST, false);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

type Checks = Record<string, { status: string; message: string; fix?: string }>;
const checksOf = (stdout: string): Checks => Object.fromEntries((JSON.parse(stdout) as { checks: ({ id: string } & Checks[string])[] }).checks.map((c) => [c.id, c]));

describe('the docker context', () => {
  test('doctor: the current context points at a remote engine → exit 3 with the reason and the fix', async () => {
    const started = Date.now();
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined } });
    expect(result.code, result.stderr).toBe(3);
    const docker = checksOf(result.stdout).docker!;
    expect(docker.status).toBe('fail');
    expect(docker.message).toContain('tcp://203.0.113.7:2375 (from docker context "lab") is remote: earthly.sh bind-mounts the CanvOS checkout');
    expect(docker.fix).toContain('docker context use default');
    expect(Date.now() - started).toBeLessThan(10_000); // the remote engine is not waited for
  });

  test('iso: the same context (through DOCKER_CONTEXT) fails the preflight with exit 3 before the build', async () => {
    const repo = createCanvosRepo(eraFixtureTags(), join(home, 'origin'));
    const result = await runCli(['iso', '--json', '--tag', ERA_TAGS.canonical, '--repo', repo.path, '--work-dir', join(home, 'work'), '--out', join(home, 'dist'), '--cache-dir', join(home, 'cache'), '--user-data', join(import.meta.dirname, '../../user-data/default.yaml'), ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'lab', EDGE_HOST_TOKEN: 't' } });
    expect(result.code, result.stdout).toBe(3);
    expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toContain('(from docker context "lab") is remote');
  });

  test('DOCKER_CONTEXT naming a missing context: the docker check fails naming it', async () => {
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'gone' } });
    expect(result.code).toBe(3);
    expect(checksOf(result.stdout).docker!.message).toContain('docker context "gone" (from DOCKER_CONTEXT) does not exist');
  });

  test.skipIf(!process.env.DOCKER_HOST?.startsWith('unix://'))('DOCKER_CONTEXT pointing at the local engine is followed', async () => {
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'local' } });
    const docker = checksOf(result.stdout).docker!;
    expect(docker.status, docker.message).toBe('pass');
    expect(docker.message).toContain(`${process.env.DOCKER_HOST}`);
  });
});
