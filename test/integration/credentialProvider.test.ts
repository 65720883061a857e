import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CREDENTIAL_PROVIDER_ASSET } from '../../src/adapters/assets.js';
import { urlsMatchStr } from '../../src/core/registries/matchImages.js';

/**
 * Runs the shipped provider the way the kubelet does: the configured args, a
 * CredentialProviderRequest on stdin, the response read from stdout. A stand-in
 * `syslog` module on PYTHONPATH records what the provider logs, so the tests can
 * check that no secret reaches the log.
 */
const PASSWORD = 'S3cr3t-p@ss"word';
const V1 = 'credentialprovider.kubelet.k8s.io/v1';
let root: string;
let credsDir: string;
let syslogFile: string;
let fakeSyslogDir: string;
const outputs: string[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgebuild-credprov-'));
  credsDir = join(root, 'registries');
  mkdirSync(credsDir);
  writeFileSync(join(credsDir, 'harbor.company.local.json'), JSON.stringify({ username: 'robot$edge', password: PASSWORD }), { mode: 0o600 });
  writeFileSync(join(credsDir, 'registry.local:5000.json'), JSON.stringify({ username: 'edge', password: PASSWORD }), { mode: 0o600 });
  writeFileSync(join(credsDir, 'docker.io.json'), JSON.stringify({ username: 'hub', password: PASSWORD }), { mode: 0o600 });
  writeFileSync(join(credsDir, '*.gcr.io.json'), JSON.stringify({ username: 'gcr', password: PASSWORD }), { mode: 0o600 });
  // Broken files that contain the secret: the error must not echo them.
  writeFileSync(join(credsDir, 'broken.company.local.json'), `{"username": "u", "password": "${PASSWORD}"`);
  writeFileSync(join(credsDir, 'nopass.company.local.json'), JSON.stringify({ username: 'u', pass: PASSWORD }));
  fakeSyslogDir = join(root, 'pylib');
  mkdirSync(fakeSyslogDir);
  syslogFile = join(root, 'syslog.txt');
  writeFileSync(
    join(fakeSyslogDir, 'syslog.py'),
    [
      'import os',
      'LOG_PID, LOG_AUTH, LOG_USER, LOG_INFO, LOG_ERR = 1, 32, 8, 6, 3',
      'def openlog(*args, **kwargs):',
      '    pass',
      'def syslog(priority, message=None):',
      '    with open(os.environ["FAKE_SYSLOG"], "a") as f:',
      '        f.write("%s %s\\n" % (priority, message))',
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function provider(stdin: string, args: string[] = ['--credentials-dir', credsDir, '--cache-duration', '5m'], executable?: string): Run {
  const command = executable ?? 'python3';
  const argv = executable ? args : [CREDENTIAL_PROVIDER_ASSET, ...args];
  const result = spawnSync(command, argv, {
    input: stdin,
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH, PYTHONPATH: fakeSyslogDir, FAKE_SYSLOG: syslogFile },
  });
  outputs.push(result.stderr);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function request(image: string, apiVersion = V1): string {
  return JSON.stringify({ apiVersion, kind: 'CredentialProviderRequest', image });
}

describe('the credential provider answers CredentialProviderRequests', () => {
  test('a registry host: auth keyed by the host, Registry cache key, the configured duration', () => {
    const run = provider(request('harbor.company.local/team/app'));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      apiVersion: V1,
      kind: 'CredentialProviderResponse',
      cacheKeyType: 'Registry',
      cacheDuration: '5m',
      auth: { 'harbor.company.local': { username: 'robot$edge', password: PASSWORD } },
    });
  });

  test('host:port: the auth key keeps the port, so the kubelet matches it to the image', () => {
    const image = 'registry.local:5000/team/app';
    const run = provider(request(image));
    expect(run.status).toBe(0);
    const response = JSON.parse(run.stdout) as { auth: Record<string, unknown> };
    expect(Object.keys(response.auth)).toEqual(['registry.local:5000']);
    // The kubelet applies each auth key to the image with URLsMatchStr.
    expect(urlsMatchStr('registry.local:5000', image)).toBe(true);
    // The vendor guide's provider keyed by the host without the port: never used for this image.
    expect(urlsMatchStr('registry.local', image)).toBe(false);
  });

  test('Docker Hub: the kubelet asks about docker.io/..., a bare name means docker.io too', () => {
    for (const image of ['docker.io/library/nginx', 'library/nginx', 'nginx']) {
      const response = JSON.parse(provider(request(image)).stdout) as { auth: Record<string, { username: string }> };
      expect(Object.keys(response.auth)).toEqual(['docker.io']);
      expect(response.auth['docker.io']!.username).toBe('hub');
    }
  });

  test('the host is looked up case-insensitively and answered as the image spells it', () => {
    const response = JSON.parse(provider(request('Harbor.Company.Local/team/app')).stdout) as { auth: Record<string, unknown> };
    expect(Object.keys(response.auth)).toEqual(['Harbor.Company.Local']);
  });

  test('an unknown registry gets a valid answer without credentials (the kubelet pulls anonymously)', () => {
    for (const image of ['quay.io/coreos/etcd', 'harbor.company.local:8443/team/app', 'localhost:5000/x', '../../etc/passwd']) {
      const run = provider(request(image));
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ apiVersion: V1, kind: 'CredentialProviderResponse', cacheKeyType: 'Registry', cacheDuration: '5m', auth: {} });
    }
  });

  test('a glob credentials file (*.gcr.io) answers for the registries the kubelet would match it to, keyed by the glob', () => {
    for (const image of ['us.gcr.io/team/app', 'eu.gcr.io/x']) {
      const response = JSON.parse(provider(request(image)).stdout) as { auth: Record<string, { username: string }> };
      expect(Object.keys(response.auth)).toEqual(['*.gcr.io']);
      expect(response.auth['*.gcr.io']!.username).toBe('gcr');
      // The kubelet's keyring then applies the glob key to the image with URLsMatchStr.
      expect(urlsMatchStr('*.gcr.io', image)).toBe(true);
    }
    // Kubelet rules: one part per glob part, the port must match.
    for (const image of ['gcr.io/x', 'a.b.gcr.io/x', 'us.gcr.io:5000/x']) {
      expect(JSON.parse(provider(request(image)).stdout).auth).toEqual({});
      expect(urlsMatchStr('*.gcr.io', image)).toBe(false);
    }
  });

  test('the response uses the apiVersion of the request (the kubelet checks they are equal)', () => {
    const beta = 'credentialprovider.kubelet.k8s.io/v1beta1';
    expect(JSON.parse(provider(request('quay.io/x', beta)).stdout).apiVersion).toBe(beta);
  });

  test('--cache-duration is passed through', () => {
    const run = provider(request('quay.io/x'), ['--credentials-dir', credsDir, '--cache-duration', '1h30m']);
    expect(JSON.parse(run.stdout).cacheDuration).toBe('1h30m');
  });

  test('the file is executable as the kubelet runs it (shebang, no interpreter named)', () => {
    const exe = join(root, 'edgebuild-credential-provider');
    copyFileSync(CREDENTIAL_PROVIDER_ASSET, exe);
    chmodSync(exe, 0o755);
    const run = provider(request('harbor.company.local/a'), ['--credentials-dir', credsDir], exe);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).auth['harbor.company.local'].password).toBe(PASSWORD);
  });
});

describe('bad input fails with exit 1 and a one-line reason on stderr', () => {
  test.each([
    ['not JSON', 'harbor.company.local/x', /not a JSON CredentialProviderRequest/],
    ['a JSON list', '[]', /not a JSON object/],
    ['the wrong kind', JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderResponse', image: 'a.io/x' }), /kind must be CredentialProviderRequest/],
    ['the vendor guide\'s apiVersion casing', request('a.io/x', 'credentialprovider.Kubelet.k8s.io/v1'), /unsupported apiVersion/],
    ['no image', JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest' }), /has no image/],
    ['empty stdin', '', /not a JSON CredentialProviderRequest/],
  ])('%s', (_name, stdin, reason) => {
    const run = provider(stdin);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(reason);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test.each([
    ['truncated JSON', 'broken.company.local', /broken\.company\.local\.json is not valid JSON/],
    ['no password field', 'nopass.company.local', /must have string fields username and password/],
  ])('a credentials file with %s names the file, never its content', (_name, host, reason) => {
    const run = provider(request(`${host}/x`));
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(reason);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  test('an invalid --cache-duration', () => {
    const run = provider(request('quay.io/x'), ['--cache-duration', 'five minutes']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not a Go duration/);
  });
});

describe('secrets', () => {
  test('the provider logged through syslog, and neither syslog nor stderr ever carried a password', () => {
    // Runs after the tests above (vitest runs a file's tests in order).
    expect(existsSync(syslogFile)).toBe(true);
    const log = readFileSync(syslogFile, 'utf8');
    expect(log).toMatch(/credentials provided for harbor\.company\.local/);
    expect(log).toMatch(/no credentials for quay\.io/);
    expect(log).not.toContain(PASSWORD);
    expect(outputs.length).toBeGreaterThan(10);
    for (const stderr of outputs) expect(stderr).not.toContain(PASSWORD);
  });
});
