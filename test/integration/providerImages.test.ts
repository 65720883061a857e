/**
 * `edgebuild provider-images` end to end, in-process: the fixture CanvOS
 * (test/fixtures/providerScript.ts) creates the images on the test's Docker
 * engine, edgebuild verifies them there, pushes them to a real registry
 * (docker-registry on 127.0.0.1, with and without htpasswd) and publishes
 * os-pack.yaml + provider-images.json; the test reads the registry's
 * manifest API itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeDocker } from './dockerGuard.js';
import { runCli } from './cli.js';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { k8sVersionJson } from '../fixtures/eraScript.js';
import { PROVIDER_SCRIPT, providerEarthfile } from '../fixtures/providerScript.js';
import { servedDigest, startDigestSwappingProxy, startRegistry, type TestRegistry } from '../fixtures/registry.js';

const TAG = 'v4.6.24';
const VERSIONS = ['1.29.0', '1.30.4'];
const USER = { name: 'alice', password: 'pw-0f1e2d3c4b5a' };
let root: string;
let repo: FixtureRepo;
let open: TestRegistry;
let locked: TestRegistry;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'edgebuild-provider-'));
  repo = createCanvosRepo(
    [{ name: TAG, files: { 'earthly.sh': PROVIDER_SCRIPT, Earthfile: providerEarthfile(TAG), 'k8s_version.json': k8sVersionJson({ k3s: VERSIONS, rke2: ['1.29.0'], 'kubeadm-fips': ['1.29.0'] }) } }],
    join(root, 'origin'),
  );
  mkdirSync(join(root, 'docker-anonymous'));
  open = await startRegistry(join(root, 'registry-open'));
  locked = await startRegistry(join(root, 'registry-auth'), USER);
}, 60_000);
afterAll(() => {
  // The images this file's builds made, on the shared test engine: every registry here is on 127.0.0.1.
  const hosts = ['127.0.0.1:'];
  try {
    const ours = docker('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((r) => hosts.some((h) => r.startsWith(`${h}/`)));
    if (ours.length > 0) docker('rmi', '-f', ...ours);
  } catch (e) {
    console.error('cleanup failed', e);
  }
  open?.stop();
  locked?.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Doc {
  status: string;
  images: { k8sVersion: string; reference: string; imageId: string; digest?: string }[];
  record: string;
  osPack: string;
  error?: { message: string };
}

async function provider(name: string, extra: string[], env: Record<string, string> = {}) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const result = await runCli(
    ['provider-images', '--json', '--repo', repo.path, '--tag', TAG, '--out', join(dir, 'dist'), '--work-dir', join(dir, 'work'), '--cache-dir', join(root, 'cache'), '--skip-check', 'cpu,memory,disk,privileged', ...extra],
    // No credentials from the machine's own ~/.docker unless a test gives a config.
    { cwd: dir, env: { DOCKER_CONFIG: join(root, 'docker-anonymous'), ...env } },
  );
  return { ...result, doc: JSON.parse(result.stdout || '{}') as Doc, out: join(dir, 'dist') };
}

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

describeDocker('edgebuild provider-images', () => {
  test('builds every version the tag lists, pushes, confirms each digest with the registry and publishes an os-pack.yaml whose system.uri resolves to the pushed images; a rerun is up to date', { timeout: 180_000 }, async () => {
    const run = await provider('push', ['--arg', `IMAGE_REGISTRY=${open.host}`, '--arg', 'IMAGE_REPO=edge/provider', '--push']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.doc.status).toBe('built');
    expect(run.doc.images.map((i) => i.k8sVersion)).toEqual(VERSIONS);
    for (const image of run.doc.images) {
      expect(image.reference).toBe(`${open.host}/edge/provider:k3s-${image.k8sVersion}-${TAG}-demo`);
      expect(await servedDigest(open.host, 'edge/provider', `k3s-${image.k8sVersion}-${TAG}-demo`)).toBe(image.digest);
    }
    const pack = parse(readFileSync(run.doc.osPack, 'utf8')) as { options: Record<string, string> };
    const o = pack.options;
    expect(o).toMatchObject({ 'system.registry': open.host, 'system.repo': 'edge/provider', 'system.k8sDistribution': 'k3s', 'system.peVersion': TAG, 'system.customTag': 'demo', 'system.osName': 'ubuntu', 'system.osVersion': '22.04' });
    // Palette fills the template: the registry must serve what it names, with the recorded digest.
    for (const image of run.doc.images) {
      const uri = o['system.uri']!.replace(/\{\{ *\.spectro\.pack\.edge-native-byoi\.options\.(system\.\w+) *\}\}/g, (_, k: string) => o[k] ?? '').replace(/\{\{ *\.spectro\.system\.kubernetes\.version *\}\}/, image.k8sVersion);
      expect(uri).toBe(image.reference);
      expect(readFileSync(run.doc.osPack, 'utf8')).toContain(`${image.reference}@${image.digest}`);
    }
    const record = JSON.parse(readFileSync(run.doc.record, 'utf8')) as { pushed: boolean; images: unknown[] };
    expect(record).toMatchObject({ pushed: true, images: run.doc.images });

    const again = await provider('push', ['--arg', `IMAGE_REGISTRY=${open.host}`, '--arg', 'IMAGE_REPO=edge/provider', '--push']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.doc.status).toBe('up-to-date');
  });

  test('a registry that serves another digest than the engine pushed (the tag replaced meanwhile) is exit 1 naming both, nothing published', { timeout: 180_000 }, async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    const proxy = await startDigestSwappingProxy(open.host, other);
    try {
      const run = await provider('swapped', ['--arg', `IMAGE_REGISTRY=${proxy.host}`, '--arg', 'IMAGE_REPO=edge/swapped', '--k8s-version', '1.29.0', '--push']);
      expect(run.code, run.stderr).toBe(1);
      const reference = `${proxy.host}/edge/swapped:k3s-1.29.0-${TAG}-demo`;
      expect(run.doc.error?.message).toMatch(new RegExp(`serves ${other} for ${reference.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not the pushed sha256:[0-9a-f]{64}`));
      // The engine did push: the real registry holds the image, yet nothing was published for it.
      expect(await servedDigest(open.host, 'edge/swapped', `k3s-1.29.0-${TAG}-demo`)).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(proxy.swapped()).toBeGreaterThan(0);
      expect(existsSync(run.out) ? readdirSync(run.out) : []).toEqual([]);
    } finally {
      proxy.stop();
    }
  });

  test('--k8s-version not in the tag\'s k8s_version.json is exit 2 naming the nearest', { timeout: 60_000 }, async () => {
    const run = await provider('bad-version', ['--k8s-version', '1.30.9']);
    expect(run.code).toBe(2);
    expect(run.doc.error?.message).toContain('1.30.9 is not a k3s version');
    expect(run.stdout + run.stderr).toContain('1.30.4');
  });

  test('earthly.sh exits 0 with an image missing: exit 1 naming it, nothing published', { timeout: 120_000 }, async () => {
    const run = await provider('missing', ['--arg', 'IMAGE_REGISTRY=127.0.0.1:9', '--arg', 'CUSTOM_TAG=missing'], { EDGEBUILD_FIXTURE_MODE: 'skip-last' });
    expect(run.code, run.stderr).toBe(1);
    expect(run.doc.error?.message).toContain(`left no image 127.0.0.1:9/ubuntu:k3s-1.30.4-${TAG}-missing`);
    expect(existsSync(run.out) ? readdirSync(run.out) : []).toEqual([]);
  });

  test('an image left from an earlier build (older than the build) is exit 1, nothing published', { timeout: 120_000 }, async () => {
    const stale = `127.0.0.1:9/ubuntu:k3s-1.30.4-${TAG}-stale`;
    docker('tag', process.env.EDGEBUILD_TEST_IMAGE || 'edgebuild-test/busybox:latest', stale);
    try {
      const run = await provider('stale', ['--arg', 'IMAGE_REGISTRY=127.0.0.1:9', '--arg', 'CUSTOM_TAG=stale'], { EDGEBUILD_FIXTURE_MODE: 'skip-last' });
      expect(run.code, run.stderr).toBe(1);
      expect(run.doc.error?.message).toContain(`${stale} (Kubernetes 1.30.4) was created`);
      expect(run.doc.error?.message).toContain('left from an earlier build');
      expect(existsSync(run.out) ? readdirSync(run.out) : []).toEqual([]);
    } finally {
      docker('rmi', stale);
    }
  });

  test('an image Earthly rebuilt from its cache (old created time) counts when the engine tagged it during the build', { timeout: 120_000 }, async () => {
    const run = await provider('cached', ['--arg', 'IMAGE_REGISTRY=127.0.0.1:9', '--arg', 'CUSTOM_TAG=cached'], { EDGEBUILD_FIXTURE_MODE: 'cached' });
    expect(run.code, run.stderr).toBe(0);
    const cached = run.doc.images.find((i) => i.k8sVersion === '1.30.4');
    expect(cached?.imageId).toBe(docker('image', 'inspect', '--format', '{{.Id}}', process.env.EDGEBUILD_TEST_IMAGE || 'edgebuild-test/busybox:latest'));
  });

  test('--push to an htpasswd registry with the credentials of a docker config file; without them exit 1 naming the image; the password is never shown', { timeout: 180_000 }, async () => {
    const args = ['--arg', `IMAGE_REGISTRY=${locked.host}`, '--arg', 'CUSTOM_TAG=auth', '--k8s-version', '1.29.0', '--push'];
    const reference = `${locked.host}/ubuntu:k3s-1.29.0-${TAG}-auth`;
    const anonymous = join(root, 'docker-anonymous');
    const denied = await provider('auth-denied', args, { DOCKER_CONFIG: anonymous });
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.doc.error?.message).toContain(`pushing ${reference} failed`);
    expect(existsSync(denied.out) ? readdirSync(denied.out) : []).toEqual([]);

    const config = join(root, 'docker-auth');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from(`${USER.name}:${USER.password}`).toString('base64') } } }));
    const run = await provider('auth', args, { DOCKER_CONFIG: config });
    expect(run.code, run.stderr).toBe(0);
    const [image] = run.doc.images;
    expect(image?.reference).toBe(reference);
    expect(await servedDigest(locked.host, 'ubuntu', `k3s-1.29.0-${TAG}-auth`, USER)).toBe(image?.digest);
    const logs = readdirSync(join(root, 'auth', 'work', 'logs')).map((f) => readFileSync(join(root, 'auth', 'work', 'logs', f), 'utf8')).join('');
    for (const text of [run.stdout, run.stderr, logs, readFileSync(run.doc.record, 'utf8'), readFileSync(run.doc.osPack, 'utf8')]) expect(text).not.toContain(USER.password);
  });

  test('--registries: the stages of edgebuild registries join the OS layer values; literal passwords make os-pack.yaml 0600 and stay out of JSON', { timeout: 120_000 }, async () => {
    const file = join(root, 'registries.yaml');
    writeFileSync(file, 'distribution: k3s\nmirrors:\n  docker.io:\n    endpoints: [https://m.local]\ncredentials:\n  m.local:\n    username: u\n    password: hunter2-secret\n');
    const run = await provider('registries', ['--arg', 'IMAGE_REGISTRY=127.0.0.1:9', '--arg', 'CUSTOM_TAG=reg', '--k8s-version', '1.29.0', '--registries', file]);
    expect(run.code, run.stderr).toBe(0);
    const pack = parse(readFileSync(run.doc.osPack, 'utf8')) as { options: Record<string, string>; stages: Record<string, unknown[]> };
    expect(pack.options['system.k8sDistribution']).toBe('k3s');
    expect(JSON.stringify(pack.stages)).toContain('/etc/rancher/k3s/registries.yaml');
    expect(statSync(run.doc.osPack).mode & 0o777).toBe(0o600);
    expect(run.stdout + run.stderr).not.toContain('hunter2-secret');
  });

  test('--push with a credential helper named in config.json (credHelpers): the secret comes from docker-credential-<name> get, on stdin/stdout only', { timeout: 120_000 }, async () => {
    const bin = join(root, 'helper-bin');
    mkdirSync(bin, { recursive: true });
    // As docker-credential-pass & co.: the server on stdin, JSON on stdout; records what it was asked.
    writeFileSync(join(bin, 'docker-credential-edgetest'), `#!/bin/sh\nread server\necho "$1 $server" >> "${join(root, 'helper-calls')}"\nprintf '{"ServerURL":"%s","Username":"${USER.name}","Secret":"${USER.password}"}' "$server"\n`, { mode: 0o755 });
    const config = join(root, 'docker-helper');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'config.json'), JSON.stringify({ credHelpers: { [locked.host]: 'edgetest' } }));
    const run = await provider('helper', ['--arg', `IMAGE_REGISTRY=${locked.host}`, '--arg', 'CUSTOM_TAG=helper', '--k8s-version', '1.29.0', '--push'], { DOCKER_CONFIG: config, PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(root, 'helper-calls'), 'utf8')).toBe(`get ${locked.host}\n`);
    expect(await servedDigest(locked.host, 'ubuntu', `k3s-1.29.0-${TAG}-helper`, USER)).toBe(run.doc.images[0]?.digest);
    expect(run.stdout + run.stderr).not.toContain(USER.password);
  });
});

test('matrix --provider-images: one entry per (config, Kubernetes version), the tag resolved once for every runner', { timeout: 60_000 }, async () => {
  const dir = join(root, 'matrix');
  mkdirSync(join(dir, 'build-configs'), { recursive: true });
  writeFileSync(join(dir, 'build-configs', 'lab.yaml'), `name: lab\ncanvos:\n  repo: ${repo.url}\n  tag: latest\n`);
  writeFileSync(join(dir, 'build-configs', 'fips.yaml'), `name: fips\ncanvos:\n  repo: ${repo.url}\n  tag: ${TAG}\narg:\n  K8S_DISTRIBUTION: kubeadm-fips\n`);
  writeFileSync(join(dir, 'build-configs', 'one.yaml'), `name: one\ncanvos:\n  repo: ${repo.url}\n  tag: ${TAG}\narg:\n  K8S_VERSION: 1.30.4\n`);
  const run = await runCli(['matrix', '--provider-images', '--cache-dir', join(root, 'cache')], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({
    include: [
      { config: 'build-configs/fips.yaml', name: 'fips-k8s-1.29.0', tag: TAG, target: '+build-provider-images-fips', k8sVersion: '1.29.0' },
      { config: 'build-configs/lab.yaml', name: 'lab-k8s-1.29.0', tag: TAG, target: '+build-provider-images', k8sVersion: '1.29.0' },
      { config: 'build-configs/lab.yaml', name: 'lab-k8s-1.30.4', tag: TAG, target: '+build-provider-images', k8sVersion: '1.30.4' },
      { config: 'build-configs/one.yaml', name: 'one-k8s-1.30.4', tag: TAG, target: '+build-provider-images', k8sVersion: '1.30.4' },
    ],
  });
});
