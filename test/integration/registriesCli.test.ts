import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli, type CliResult } from './cli.js';

/** `edgebuild registries`, run in-process through run(argv, io) (./cli.ts): nothing here needs the process itself. */
const EXAMPLE = fileURLToPath(new URL('../../build-configs/registries.yaml', import.meta.url));
let cwd: string;

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'edgebuild-registries-cli-'));
  mkdirSync(join(cwd, 'build-configs'));
  copyFileSync(EXAMPLE, join(cwd, 'build-configs', 'registries.yaml'));
  writeFileSync(
    join(cwd, 'literal.yaml'),
    'distribution: k3s\nmirrors:\n  docker.io:\n    endpoints: [https://m.local]\ncredentials:\n  m.local:\n    username: u\n    password: hunter2-secret\n',
  );
  writeFileSync(join(cwd, 'broken.yaml'), 'distribution: pxk-e\nmirrors:\n  docker.io:\n    endpoints:\n      - url: https://m.local\n        skip_verify: true\n');
});

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function cli(...args: string[]): Promise<CliResult> {
  return runCli(['registries', ...args], { cwd });
}

describe('edgebuild registries', () => {
  test('reads build-configs/registries.yaml by default and prints the stages and the kubeadm snippet', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const docs = parseAllDocuments(r.stdout, { version: '1.1' });
    expect(docs).toHaveLength(2);
    const [stages, kubeadm] = docs.map((d) => d.toJS()) as [Record<string, Record<string, unknown>>, Record<string, unknown>];
    expect(Object.keys(stages.stages!)).toEqual(['initramfs', 'reconcile']);
    expect(Object.keys(kubeadm)).toEqual(['initConfiguration', 'joinConfiguration']);
    // dist/adapters/assets.js found the provider relative to itself and embedded it.
    expect(r.stdout).toContain(readFileSync(fileURLToPath(new URL('../../assets/edgebuild-credential-provider.py', import.meta.url)), 'utf8').split('\n')[1]);
  });

  test('--json prints one document, with literal passwords redacted', async () => {
    const r = await cli('--config', 'literal.yaml', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { distribution: string; stages: string; warnings: { code: string; file: string; line: number }[]; files: { path: string; permissions: string; secret: boolean }[] };
    expect(doc.distribution).toBe('k3s');
    expect(r.stdout).not.toContain('hunter2-secret');
    expect(doc.stages).toContain('***');
    expect(doc.files).toEqual([{ stage: 'initramfs', path: '/etc/rancher/k3s/registries.yaml', permissions: '0600', secret: true }]);
    expect(doc.warnings).toEqual([expect.objectContaining({ code: 'password-literal', file: 'literal.yaml', line: 8 })]);
    expect(r.stderr).toMatch(/^warning: literal\.yaml:8:15: the password for m\.local is a literal/m);
  });

  test.each([
    ['k3s', ''],
    ['pxk-e', 'kubernetesVersion: "1.30.5"\n'],
  ])('--json (%s): a password with quotes and backslashes is masked in every form the stages hold it', async (distro, extra) => {
    const password = 'p"w\\d\'q-Zq9x';
    writeFileSync(join(cwd, `escaped-${distro}.yaml`), `distribution: ${distro}\n${extra}mirrors:\n  docker.io:\n    endpoints: [https://m.local]\ncredentials:\n  m.local:\n    username: u\n    password: ${JSON.stringify(password)}\n`);
    const plain = await cli('--config', `escaped-${distro}.yaml`);
    expect(plain.code, plain.stderr).toBe(0);
    // What the stages hold (escaped for YAML or JSON), so what must be masked.
    const shown = [password, JSON.stringify(password).slice(1, -1), password.replace(/'/g, "''")].filter((f) => plain.stdout.includes(f));
    expect(shown.length).toBeGreaterThan(0);
    const r = await cli('--config', `escaped-${distro}.yaml`, '--json');
    expect(r.code, r.stderr).toBe(0);
    const stages = (JSON.parse(r.stdout) as { stages: string }).stages;
    expect(stages).toContain('***');
    for (const text of [r.stdout, stages, r.stderr]) expect(text).not.toMatch(/Zq9x/);
  });

  test('--strict turns warnings into exit 2', async () => {
    const r = await cli('--config', 'literal.yaml', '--strict');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: literal\.yaml: 1 registries warning with --strict\. Fix: /);
    expect(r.stderr).not.toContain('hunter2-secret');
  });

  test('--strict passes a clean file', async () => {
    expect((await cli('--strict')).code).toBe(0);
  });

  test('--distro overrides the file', async () => {
    const r = await cli('--distro', 'rke2');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/etc/rancher/rke2/registries.yaml');
    expect(r.stdout).not.toContain('/etc/containerd/');
  });

  test('--out writes the files, private when they hold a literal password', async () => {
    const r = await cli('--config', 'literal.yaml', '--out', 'out-literal');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote out-literal\/stages\.yaml/);
    const path = join(cwd, 'out-literal', 'stages.yaml');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain('hunter2-secret');

    const r2 = await cli('--out', 'out-pxke');
    expect(r2.code).toBe(0);
    expect(statSync(join(cwd, 'out-pxke', 'stages.yaml')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(cwd, 'out-pxke', 'kubeadm-config.yaml'), 'utf8')).toContain('image-credential-provider-config');
  });

  test('an invalid file is exit 2 with file:line:col and a fix', async () => {
    const r = await cli('--config', 'broken.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: broken.yaml:6:9: unknown key "skip_verify" in mirrors["docker.io"].endpoints[0]. Fix: remove it or correct its spelling (see build-configs/registries.schema.json)\n');
    const j = await cli('--config', 'broken.yaml', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 'error', error: { code: 'registries-invalid', exitCode: 2, file: 'broken.yaml', line: 6, col: 9 } });
  });

  test.each([
    ['a Latin-1 byte', Buffer.from('distribution: k3s\nmirrors:\n  docker.io:\n    endpoints: [https://m\xe9.local]\n', 'latin1'), 'bytes.yaml:4:26: not valid UTF-8 (byte 0xE9)'],
    ['a NUL byte', Buffer.from('distribution: k3s\u0000\n'), 'bytes.yaml:1:18: control character U+0000 (NUL)'],
  ])('%s in the registries file is exit 2 with file:line:col', async (_, content, message) => {
    writeFileSync(join(cwd, 'bytes.yaml'), content);
    const r = await cli('--config', 'bytes.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`error: ${message}. Fix: `);
  });

  test('no file is exit 2 naming the default', async () => {
    const r = await runCli(['registries'], { cwd: tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no registries file: build-configs\/registries\.yaml does not exist\. Fix: pass --config/);
  });

  test('an unknown --distro is a usage error', async () => {
    const r = await cli('--distro', 'kubeadm');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kubeadm/);
  });
});

describe('the npm package', () => {
  test('ships the credential provider, the schema and the example-independent runtime files', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string; mode: number }[] }[])[0]!.files;
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['assets/edgebuild-credential-provider.py', 'build-configs/registries.schema.json', 'dist/adapters/assets.js', 'dist/cli/commands/registries.js']));
  });
});
