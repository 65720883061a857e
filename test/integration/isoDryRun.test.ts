/**
 * `edgebuild iso --dry-run` end to end, as a subprocess, against a
 * CanvOS-like fixture repository: the checkout it leaves and the plan it prints.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { createCanvosRepo, git, TYPICAL_TAGS, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';

// These tests are about the plan, not the build host: the preflight has its own (preflight*.test.ts).
const SKIP_HOST = ['--skip-check', CHECK_IDS.join(',')];

const TOKEN = 'tok-5ecret-value';
let repo: FixtureRepo;
let dir: string;

beforeAll(() => {
  repo = createCanvosRepo(TYPICAL_TAGS);
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-dry-'));
  cpSync('user-data', join(dir, 'user-data'), { recursive: true });
  cpSync('build-configs', join(dir, 'build-configs'), { recursive: true });
});
afterAll(() => {
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ EDGE_HOST_TOKEN: TOKEN, XDG_CACHE_HOME: join(dir, 'cache') });

describe('iso --dry-run --json', () => {
  test('plans latest and leaves a checkout whose user-data and .arg are ready for earthly.sh', async () => {
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'latest', '--arg', 'CUSTOM_TAG=lab one', ...SKIP_HOST], { cwd: dir, env: env() });
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { userData: { sha256: string } };
    const canvos = join(dir, '.edgebuild', 'canvos');
    expect(plan).toMatchObject({
      status: 'planned',
      tag: 'v4.6.21',
      commit: repo.commits['v4.6.21'],
      peVersion: 'v4.6.21',
      canvosDir: canvos,
      target: '+iso',
      command: ['./earthly.sh', '+iso', '--ARCH=amd64'],
      userData: { source: join(dir, 'user-data', 'default.yaml'), path: join(canvos, 'user-data'), imageRedirectWebhook: false },
      arg: { CUSTOM_TAG: 'lab one', ARCH: 'amd64', ISO_NAME: 'palette-edge-installer', OS_VERSION: '22.04' },
    });

    // The checkout: at the tag, all tags present, clean but for our two files.
    expect(git(canvos, 'describe', '--tags')).toBe('v4.6.21');
    expect(git(canvos, 'status', '--porcelain').split('\n').sort()).toEqual(['?? .arg', '?? user-data']);
    const userData = readFileSync(join(canvos, 'user-data'), 'utf8');
    expect(statSync(join(canvos, 'user-data')).mode & 0o777).toBe(0o600);
    expect(userData.split('\n', 1)[0]).toBe('#cloud-config');
    const doc = parse(userData) as { stylus: { site: Record<string, string>; imageRedirectWebhook: { enable: unknown } } };
    expect(doc.stylus.imageRedirectWebhook.enable).toBe(false);
    expect(doc.stylus.site.edgeHostToken).toBe(TOKEN);
    // The plan's checksum is that of the file in the checkout, not just any hash.
    expect(plan.userData.sha256).toBe((await import('node:crypto')).createHash('sha256').update(readFileSync(join(canvos, 'user-data'))).digest('hex'));

    // .arg as bash reads it (earthly.sh does `source .arg`).
    const bash = (await import('node:child_process')).execFileSync('bash', ['-c', 'source .arg; printf "%s|%s|%s" "$CUSTOM_TAG" "$ARCH" "$K8S_DISTRIBUTION"'], { cwd: canvos, encoding: 'utf8' });
    expect(bash).toBe('lab one|amd64|k3s');
  });

  test('proxy credentials and ${env:...} in .arg values reach .arg (0600) but no output', async () => {
    const password = 'pr0xy-pa55';
    const result = await runCli(
      ['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', ...SKIP_HOST, '--arg', 'HTTPS_PROXY=http://edge:${env:PROXY_PASSWORD}@proxy.example:3128', '--arg', 'HTTP_PROXY=http://edge:literal-pw@proxy.example:3128'],
      { cwd: dir, env: { ...env(), PROXY_PASSWORD: password } },
    );
    expect(result.code).toBe(0);
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain('literal-pw');
    }
    const plan = JSON.parse(result.stdout) as { arg: Record<string, string> };
    expect(plan.arg.HTTPS_PROXY).toBe('http://***@proxy.example:3128');
    expect(plan.arg.HTTP_PROXY).toBe('http://***@proxy.example:3128');
    const canvos = join(dir, '.edgebuild', 'canvos');
    expect(statSync(join(canvos, '.arg')).mode & 0o777).toBe(0o600);
    const bash = (await import('node:child_process')).execFileSync('bash', ['-c', 'source .arg; printf "%s" "$HTTPS_PROXY"'], { cwd: canvos, encoding: 'utf8' });
    expect(bash).toBe(`http://edge:${password}@proxy.example:3128`);
  });

  test('an exact tag whose Earthfile pins another PE_VERSION reports it', async () => {
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.4.5', ...SKIP_HOST], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tag: 'v4.4.5', peVersion: 'v4.4.6' });
  });

  test('an unknown tag is exit 2 with suggestions, and nothing is checked out', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'edgebuild-dry-'));
    cpSync(join(dir, 'user-data'), join(fresh, 'user-data'), { recursive: true });
    try {
      const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.0', '--user-data', 'user-data/default.yaml'], { cwd: fresh, env: env() });
      expect(result.code).toBe(2);
      const body = JSON.parse(result.stdout) as { status: string; error: { code: string; message: string; suggestions: string[] } };
      expect(body.status).toBe('error');
      expect(body.error.code).toBe('unknown-tag');
      expect(body.error.suggestions).toEqual(['v4.5.3', 'v4.5.14', 'v4.5.15']);
      expect(body.error.message).toMatch(/^tag v4\.5\.0 does not exist in file:\/\/.*\. Fix: use one of v4\.5\.3, v4\.5\.14, v4\.5\.15/);
      expect(existsSync(join(fresh, '.edgebuild'))).toBe(false);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  test('human output names the plan; warnings go to stderr', async () => {
    writeFileSync(join(dir, 'ud-placeholder.yaml'), '#cloud-config\nstylus:\n  site:\n    edgeHostToken: XXXXXXXXXX\n');
    const result = await runCli(['iso', '--dry-run', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'ud-placeholder.yaml', ...SKIP_HOST], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Planned: CanvOS v4\.5\.15 /);
    expect(result.stderr).toMatch(/warning: ud-placeholder\.yaml: stylus\.site\.paletteEndpoint is not set/);
    expect(result.stderr).toMatch(/warning: ud-placeholder\.yaml: stylus\.site\.edgeHostToken looks like a placeholder/);
  });
});

describe('tags', () => {
  test('--json lists newest first, marks pre-releases and latest', async () => {
    const result = await runCli(['tags', '--json', '--repo', repo.url], { cwd: dir, env: env() });
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { latest: string; tags: { name: string; kind: string; peVersion: string | null; prerelease: boolean; latest: boolean; commit: string }[] };
    expect(body.latest).toBe('v4.6.21');
    expect(body.tags.map((t) => t.name)).toEqual(['v4.9.38-rc.1', 'v4.8.10-alpha1', 'v4.8.a', 'v4.6.21', 'v4.6.21-patch.6', 'v4.5.15', 'v4.5.14', 'v4.5.14-rc.1', 'v4.5.3', 'v4.4.5']);
    expect(body.tags.filter((t) => t.prerelease).map((t) => t.name)).toEqual(['v4.9.38-rc.1', 'v4.8.10-alpha1', 'v4.8.a', 'v4.6.21-patch.6', 'v4.5.14-rc.1']);
    expect(body.tags.find((t) => t.latest)?.name).toBe('v4.6.21');
    expect(body.tags.find((t) => t.name === 'v4.8.a')).toMatchObject({ kind: 'other', prerelease: true, peVersion: 'v4.8.1' });
    expect(body.tags.find((t) => t.name === 'v4.4.5')).toMatchObject({ peVersion: 'v4.4.6' });
    expect(body.tags.find((t) => t.name === 'v4.5.15')).toMatchObject({ peVersion: 'v4.5.15' });
    expect(body.tags.find((t) => t.name === 'v4.4.5')?.commit).toBe(repo.commits['v4.4.5']);
  });

  test('a --cache-dir that cannot be made is exit 1 with one line naming it, not an internal error', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const result = await runCli(['tags', '--json', '--repo', repo.url, '--cache-dir', join(dir, 'a-file', 'cache')], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('file-system');
    expect(body.error.message).toMatch(/^cannot mkdir .*a-file\/cache\/git: a parent of it is not a directory\. Fix: /);
    expect(result.stderr).toBe(`error: ${body.error.message}\n`);
  });

  test('human output', async () => {
    const result = await runCli(['tags', '--repo', repo.url], { cwd: dir, env: env() });
    expect(result.stdout.split('\n').slice(0, 4)).toEqual([
      'v4.9.38-rc.1     (pre-release)',
      'v4.8.10-alpha1   (pre-release)',
      'v4.8.a           (not a semver release)  PE_VERSION v4.8.1',
      'v4.6.21          (latest)',
    ]);
    // A PE_VERSION is shown only where it is not the tag's own name.
    expect(result.stdout).toContain('v4.4.5           PE_VERSION v4.4.6\n');
  });
});

// Issue 10's table through the CLI: the checkout's user-data is the user's file
// byte for byte but for the documented edits (enable: false, ${env:} values as
// double-quoted strings), and the plan records both files' sha256.
describe('iso --dry-run: the checkout user-data differs from the input only by the documented edits', () => {
  const HOOK = 'stylus:\n  imageRedirectWebhook:\n    enable: false\n';
  const YIP = '#cloud-config\nstages:\n  initramfs:\n    - files:\n        - path: /etc/x\n          permissions: 0644\n        - path: /root/k\n          permissions: 0600\n      commands: [chmod 0755 /x]\n';
  const ENV_VALUES = { V_YES: 'yes', V_ON: 'on', V_NO: 'NO', V_SEX: '1:30', V_US: '1_000', V_BIN: '0b101', V_DATE: '2001-12-14' };
  const ENV_IN = `#cloud-config\nstylus:\n  site:\n${Object.keys(ENV_VALUES).map((k) => `    ${k.toLowerCase()}: \${env:${k}}\n`).join('')}`;
  const rows: [string, string, string][] = [
    ['permissions 0644 / 0600 / 0755', YIP, YIP + HOOK],
    ['big integers, 012 and 08', '#cloud-config\nserial: 123456789012345678901234567890\nb: 9007199254740993\nd: 012\nh: 08\n', `#cloud-config\nserial: 123456789012345678901234567890\nb: 9007199254740993\nd: 012\nh: 08\n${HOOK}`],
    ['a flow map with a comment, CRLF, no trailing newline', '#cloud-config\r\ntags: {site: lab-7, env: dev}   # comment\r\nstylus: {site: {a: 1}}', '#cloud-config\r\ntags: {site: lab-7, env: dev}   # comment\r\nstylus: {site: {a: 1}, imageRedirectWebhook: {enable: false}}'],
    ['${env:V} with YAML 1.1 look-alike values', ENV_IN, `${ENV_IN.replace(/\$\{env:(\w+)\}/g, (_, k: string) => `"${ENV_VALUES[k as keyof typeof ENV_VALUES]}"`)}  imageRedirectWebhook:\n    enable: false\n`],
    ['enable: &on true aliased by reboot: *on', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: &on true\ninstall:\n  reboot: *on\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\ninstall:\n  reboot: &on true\n'],
  ];

  test.each(rows)('%s', async (_, input, expected) => {
    writeFileSync(join(dir, 'row.yaml'), input);
    const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'row.yaml', ...SKIP_HOST], { cwd: dir, env: { ...env(), ...ENV_VALUES } });
    expect(result.code, result.stderr).toBe(0);
    const written = readFileSync(join(dir, '.edgebuild', 'canvos', 'user-data'), 'utf8');
    expect(written).toBe(expected);
    const { createHash } = await import('node:crypto');
    const plan = JSON.parse(result.stdout) as { userData: { sha256: string; sourceSha256: string } };
    expect(plan.userData.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(plan.userData.sourceSha256).toBe(createHash('sha256').update(input).digest('hex'));
    expect(readFileSync(join(dir, 'row.yaml'), 'utf8')).toBe(input);
  });

  test.each([
    ['root <<: *d supplying stylus', '#cloud-config\nd: &d\n  stylus:\n    site: {paletteEndpoint: api.example}\n<<: *d\n', /^error: merge\.yaml:5:1: stylus comes from the merge key "<<" here; .*\. Fix: /],
    ['stylus: {<<: *b} where *b holds imageRedirectWebhook.foo', '#cloud-config\nb: &b\n  imageRedirectWebhook: {foo: 1}\nstylus: {<<: *b}\n', /^error: merge\.yaml:4:10: stylus\.imageRedirectWebhook comes from the merge key "<<" here; .*\. Fix: /],
  ])('%s: exit 2 with file:line:col and the fix, no checkout', async (_, input, message) => {
    const work = mkdtempSync(join(tmpdir(), 'edgebuild-merge-'));
    try {
      writeFileSync(join(work, 'merge.yaml'), input);
      const result = await runCli(['iso', '--dry-run', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'merge.yaml', ...SKIP_HOST], { cwd: work, env: { ...env(), XDG_CACHE_HOME: join(work, 'cache') } });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(message);
      expect(existsSync(join(work, '.edgebuild'))).toBe(false);
      expect(readFileSync(join(work, 'merge.yaml'), 'utf8')).toBe(input);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
