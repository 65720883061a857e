/* eslint-disable @typescript-eslint/no-explicit-any -- the tests walk documents parsed from TOML, JSON and YAML */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { parseRegistries } from '../../src/core/registries/parse.js';
import { generateRegistries, type Generated } from '../../src/core/registries/generate.js';
import { kubeadmApiFor } from '../../src/core/registries/kubelet.js';
import type { StageFile, StageName } from '../../src/core/registries/types.js';

const SCRIPT = '#!/usr/bin/env python3\nprint("provider")\n';

function gen(source: string, distribution?: 'pxk-e' | 'k3s' | 'rke2'): Generated {
  return generateRegistries(parseRegistries(source, 'r.yaml'), { distribution, providerScript: SCRIPT });
}

interface YipFile { path: string; permissions: number; owner: number; group: number; content: string }
interface YipStep { name: string; files: YipFile[]; commands?: string[] }

/** Reads the stages the way yip does: gopkg.in/yaml.v3 reads 0644 as octal, i.e. YAML 1.1 ints. */
function readStages(text: string): Record<string, YipStep[]> {
  const doc = parseYaml(text, { version: '1.1' }) as { stages: Record<string, YipStep[]> };
  return doc.stages;
}

function file(text: string, stage: StageName, path: string): YipFile {
  const found = readStages(text)[stage]?.flatMap((s) => s.files).find((f) => f.path === path);
  if (!found) throw new Error(`no ${path} in ${stage}`);
  return found;
}

const PXKE = `
distribution: pxk-e
kubernetesVersion: "1.30.5"
mirrors:
  docker.io:
    endpoints:
      - url: https://harbor.company.local/v2/dockerhub-proxy
        overridePath: true
        ca: [/etc/ssl/a.pem, /etc/ssl/b.pem]
      - https://second.company.local
  registry.local:5000:
    endpoints:
      - url: https://registry.local:5000
        skipVerify: true
        capabilities: [pull]
  "*":
    endpoints: [https://catch-all.company.local]
credentials:
  harbor.company.local:
    username: robot$edge
    password: '{{.spectro.var.harborPassword}}'
  registry.local:5000:
    username: edge
    password: '{{ .spectro.var.localPassword }}'
credentialProvider:
  matchImages: ["*.company.local", "registry.local:5000"]
  defaultCacheDuration: 10m
`;

describe('stages: the yip format', () => {
  test('every step has a name and files with path, octal permissions, owner, group, content', () => {
    const g = gen(PXKE);
    const stages = readStages(g.stagesYaml);
    expect(Object.keys(stages).sort()).toEqual(['initramfs', 'reconcile']);
    for (const steps of Object.values(stages)) {
      expect(Array.isArray(steps)).toBe(true);
      for (const step of steps) {
        expect(Object.keys(step).filter((k) => k !== 'commands').sort()).toEqual(['files', 'name']);
        if (step.commands) expect(step.commands.every((c) => typeof c === 'string')).toBe(true);
        expect(step.files.length).toBeGreaterThan(0);
        for (const f of step.files) {
          expect(Object.keys(f).sort()).toEqual(['content', 'group', 'owner', 'path', 'permissions']);
          expect(f.path).toMatch(/^\//);
          expect([0o644, 0o600, 0o755]).toContain(f.permissions);
          expect(f.owner).toBe(0);
          expect(f.group).toBe(0);
        }
      }
    }
    // Written as 0644 literally, which yaml.v3 reads as octal.
    expect(g.stagesYaml).toMatch(/permissions: 0644\n/);
    expect(g.stagesYaml).not.toMatch(/permissions: 0o/);
  });

  test('the content of every file round-trips exactly', () => {
    const g = gen(PXKE);
    const rendered = Object.entries(readStages(g.stagesYaml)).flatMap(([stage, steps]) => steps.flatMap((s) => s.files.map((f) => [stage, f] as const)));
    const expected = Object.entries(g.stages).flatMap(([stage, steps]) => steps!.flatMap((s) => s.files.map((f: StageFile) => [stage, f] as const)));
    expect(rendered.map(([s, f]) => [s, f.path, f.content])).toEqual(expected.map(([s, f]) => [s, f.path, f.content]));
  });
});

describe('pxk-e: containerd', () => {
  const g = gen(PXKE);

  test('config.toml is valid TOML that imports conf.d and points the CRI registry at certs.d', () => {
    const f = file(g.stagesYaml, 'initramfs', '/etc/containerd/config.toml');
    expect(f.permissions).toBe(0o644);
    const toml = parseToml(f.content) as Record<string, any>;
    expect(toml.version).toBe(2);
    expect(toml.imports).toEqual(['/etc/containerd/conf.d/*.toml']);
    const cri = toml.plugins['io.containerd.grpc.v1.cri'];
    expect(cri.registry).toEqual({ config_path: '/etc/containerd/certs.d' });
    expect(cri.containerd.runtimes.runc.runtime_type).toBe('io.containerd.runc.v2');
  });

  test("config.toml keeps the released kubeadm provider's root, runc, sandbox image and cgroup driver by default", () => {
    // kairos-io/provider-kubeadm containerd/config.toml, every tag up to v4.10.0.
    const toml = parseToml(file(g.stagesYaml, 'initramfs', '/etc/containerd/config.toml').content) as Record<string, any>;
    expect(toml.root).toBe('/opt/containerd');
    const cri = toml.plugins['io.containerd.grpc.v1.cri'];
    expect(cri.sandbox_image).toBe('k8s.gcr.io/pause:3.6');
    expect(cri.containerd.runtimes.runc.options).toEqual({ BinaryName: '/opt/bin/runc', SystemdCgroup: true });
  });

  test('containerd settings in the registries file replace the defaults', () => {
    const custom = gen(`${PXKE}containerd:\n  root: /var/lib/containerd\n  runcBinary: /usr/bin/runc\n  sandboxImage: registry.k8s.io/pause:3.9\n  systemdCgroup: false\n  configPath: /etc/containerd/hosts\n`);
    const toml = parseToml(file(custom.stagesYaml, 'initramfs', '/etc/containerd/config.toml').content) as Record<string, any>;
    expect(toml.root).toBe('/var/lib/containerd');
    const cri = toml.plugins['io.containerd.grpc.v1.cri'];
    expect(cri.sandbox_image).toBe('registry.k8s.io/pause:3.9');
    expect(cri.containerd.runtimes.runc.options).toEqual({ BinaryName: '/usr/bin/runc', SystemdCgroup: false });
    expect(cri.registry.config_path).toBe('/etc/containerd/hosts');
    file(custom.stagesYaml, 'initramfs', '/etc/containerd/hosts/docker.io/hosts.toml');
  });

  test('hosts.toml and credentials files are written in initramfs and again in reconcile, identically', () => {
    for (const path of ['/etc/containerd/certs.d/docker.io/hosts.toml', '/etc/kubernetes/registries/harbor.company.local.json']) {
      expect(file(g.stagesYaml, 'initramfs', path)).toEqual(file(g.stagesYaml, 'reconcile', path));
    }
    // config.toml, the provider and its config are read at startup only: initramfs alone.
    const reconcile = g.files.filter((f) => f.stage === 'reconcile').map((f) => f.path);
    expect(reconcile.filter((p) => !p.endsWith('hosts.toml') && !p.startsWith('/etc/kubernetes/registries/'))).toEqual([]);
  });

  test('fallback: false makes the last mirror the server, its settings at the top level', () => {
    const noFallback = gen(PXKE.replace('      - https://second.company.local\n', '      - url: https://second.company.local\n        skipVerify: true\n    fallback: false\n'));
    const docker = parseToml(file(noFallback.stagesYaml, 'initramfs', '/etc/containerd/certs.d/docker.io/hosts.toml').content) as Record<string, any>;
    expect(docker.server).toBe('https://second.company.local');
    expect(docker.skip_verify).toBe(true);
    expect(docker.capabilities).toEqual(['pull', 'resolve']);
    // The server stays a [host] too: containerd 1.6 ignores a hosts.toml without a host table.
    expect(Object.keys(docker.host)).toEqual(['https://harbor.company.local/v2/dockerhub-proxy', 'https://second.company.local']);
    const one = gen('distribution: pxk-e\nmirrors:\n  gcr.io:\n    endpoints: [{url: "https://m.local/p", overridePath: true, ca: /ca.pem}]\n    fallback: false\n');
    const gcr = parseToml(file(one.stagesYaml, 'initramfs', '/etc/containerd/certs.d/gcr.io/hosts.toml').content) as Record<string, any>;
    const settings = { capabilities: ['pull', 'resolve'], ca: '/ca.pem', override_path: true };
    expect(gcr).toEqual({ server: 'https://m.local/p', ...settings, host: { 'https://m.local/p': settings } });
  });

  test.each([
    ['localhost:5000', 'http://localhost:5000'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost', 'http://localhost'],
    ['localhost.company.local', 'https://localhost.company.local'],
  ])('the upstream %s keeps the scheme containerd uses for it (%s)', (registry, server) => {
    const local = gen(`distribution: pxk-e\nmirrors:\n  ${registry}:\n    endpoints: [https://m.local]\n`);
    const toml = parseToml(file(local.stagesYaml, 'initramfs', `/etc/containerd/certs.d/${registry}/hosts.toml`).content) as Record<string, any>;
    expect(toml.server).toBe(server);
  });

  test('one hosts.toml per mirrored registry, with containerd field names', () => {
    const docker = parseToml(file(g.stagesYaml, 'reconcile', '/etc/containerd/certs.d/docker.io/hosts.toml').content) as Record<string, any>;
    // docker.io's API is registry-1.docker.io; containerd only maps it when server is absent.
    expect(docker.server).toBe('https://registry-1.docker.io');
    expect(Object.keys(docker.host)).toEqual(['https://harbor.company.local/v2/dockerhub-proxy', 'https://second.company.local']);
    expect(docker.host['https://harbor.company.local/v2/dockerhub-proxy']).toEqual({
      capabilities: ['pull', 'resolve'],
      ca: ['/etc/ssl/a.pem', '/etc/ssl/b.pem'],
      override_path: true,
    });
    expect(docker.host['https://second.company.local']).toEqual({ capabilities: ['pull', 'resolve'] });

    const local = parseToml(file(g.stagesYaml, 'reconcile', '/etc/containerd/certs.d/registry.local:5000/hosts.toml').content) as Record<string, any>;
    expect(local.server).toBe('https://registry.local:5000');
    expect(local.host['https://registry.local:5000']).toEqual({ capabilities: ['pull'], skip_verify: true });

    const fallback = parseToml(file(g.stagesYaml, 'reconcile', '/etc/containerd/certs.d/_default/hosts.toml').content) as Record<string, any>;
    expect(fallback.server).toBeUndefined(); // _default falls back to each image's own registry
    expect(Object.keys(fallback.host)).toEqual(['https://catch-all.company.local']);
  });

  test('hosts.toml keeps host order (containerd tries hosts in file order)', () => {
    const text = file(g.stagesYaml, 'reconcile', '/etc/containerd/certs.d/docker.io/hosts.toml').content;
    expect(text.indexOf('harbor.company.local')).toBeLessThan(text.indexOf('second.company.local'));
  });
});

describe('pxk-e: kubelet credential provider', () => {
  const g = gen(PXKE);

  test('the executable and its CredentialProviderConfig are written in initramfs, before the kubelet starts', () => {
    const exe = file(g.stagesYaml, 'initramfs', '/usr/local/bin/edgebuild-credential-provider');
    expect(exe.permissions).toBe(0o755);
    expect(exe.content).toBe(SCRIPT);
    const config = JSON.parse(file(g.stagesYaml, 'initramfs', '/etc/kubernetes/credential-provider/config.json').content);
    expect(config).toEqual({
      apiVersion: 'kubelet.config.k8s.io/v1',
      kind: 'CredentialProviderConfig',
      providers: [
        {
          name: 'edgebuild-credential-provider',
          matchImages: ['*.company.local', 'registry.local:5000'],
          defaultCacheDuration: '10m',
          apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
          args: ['--credentials-dir', '/etc/kubernetes/registries', '--cache-duration', '10m'],
        },
      ],
    });
  });

  test('the provider step fails loudly without python3, and the stages say python3 is needed', () => {
    const step = readStages(g.stagesYaml).initramfs!.find((s) => s.files.some((f) => f.path.endsWith('/edgebuild-credential-provider')))!;
    expect(step.commands).toHaveLength(1);
    const check = step.commands![0]!;
    expect(check).not.toMatch(/\{\{|\}\}/); // yip renders commands as Go templates
    const run = (path: string) => spawnSync('/bin/sh', ['-c', check], { env: { PATH: path }, encoding: 'utf8' });
    const emptyDir = mkdtempSync(join(tmpdir(), 'edgebuild-nopython-'));
    const missing = run(emptyDir);
    rmSync(emptyDir, { recursive: true });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/python3 is missing on this node/);
    expect(run(process.env.PATH ?? '').status).toBe(0);
    expect(g.stagesYaml.split('\n', 3).join('\n')).toMatch(/# .*must have python3/);
  });

  test('a glob credentials key (*.gcr.io) gets its own credentials file and is its own default matchImages entry', () => {
    const glob = gen("distribution: pxk-e\nkubernetesVersion: '1.30.1'\ncredentials:\n  '*.gcr.io': {username: u, password: '{{.spectro.var.p}}'}\n");
    expect(JSON.parse(file(glob.stagesYaml, 'reconcile', '/etc/kubernetes/registries/*.gcr.io.json').content).username).toBe('u');
    expect(JSON.parse(file(glob.stagesYaml, 'initramfs', '/etc/kubernetes/credential-provider/config.json').content).providers[0].matchImages).toEqual(['*.gcr.io']);
    expect(glob.findings).toEqual([]);
  });

  test('one credentials file per registry, host:port in the name, mode 0600', () => {
    const harbor = file(g.stagesYaml, 'reconcile', '/etc/kubernetes/registries/harbor.company.local.json');
    expect(harbor.permissions).toBe(0o600);
    expect(JSON.parse(harbor.content)).toEqual({ username: 'robot$edge', password: '{{.spectro.var.harborPassword}}' });
    const local = file(g.stagesYaml, 'reconcile', '/etc/kubernetes/registries/registry.local:5000.json');
    expect(JSON.parse(local.content).password).toBe('{{ .spectro.var.localPassword }}');
    expect(g.files.filter((f) => f.secret).map((f) => `${f.stage} ${f.path}`)).toEqual([
      'initramfs /etc/kubernetes/registries/harbor.company.local.json',
      'initramfs /etc/kubernetes/registries/registry.local:5000.json',
      'reconcile /etc/kubernetes/registries/harbor.company.local.json',
      'reconcile /etc/kubernetes/registries/registry.local:5000.json',
    ]);
  });

  test('kubeletExtraArgs for init and join, as a v1beta3 map before 1.31', () => {
    expect(g.kubeadmApi).toBe('v1beta3');
    const doc = parseYaml(g.kubeadmConfig!) as Record<string, any>;
    const args = { 'image-credential-provider-bin-dir': '/usr/local/bin', 'image-credential-provider-config': '/etc/kubernetes/credential-provider/config.json' };
    expect(doc).toEqual({ initConfiguration: { nodeRegistration: { kubeletExtraArgs: args } }, joinConfiguration: { nodeRegistration: { kubeletExtraArgs: args } } });
    expect(g.kubeadmConfig).not.toMatch(/[&*]a\d/); // no YAML anchors/aliases
  });

  test('kubeletExtraArgs as a v1beta4 list of {name, value} from 1.31', () => {
    const v4 = gen(PXKE.replace('"1.30.5"', '"1.31.2"'));
    expect(v4.kubeadmApi).toBe('v1beta4');
    const doc = parseYaml(v4.kubeadmConfig!) as Record<string, any>;
    const args = [
      { name: 'image-credential-provider-bin-dir', value: '/usr/local/bin' },
      { name: 'image-credential-provider-config', value: '/etc/kubernetes/credential-provider/config.json' },
    ];
    expect(doc.initConfiguration.nodeRegistration.kubeletExtraArgs).toEqual(args);
    expect(doc.joinConfiguration.nodeRegistration.kubeletExtraArgs).toEqual(args);
  });

  test.each([
    ['1.30.14', 'v1beta3'],
    ['v1.30.0', 'v1beta3'],
    ['1.31.0', 'v1beta4'],
    ['1.33.1+k3s1', 'v1beta4'],
    ['1.29', 'v1beta3'],
  ] as const)('kubeadm API for %s is %s (provider-kubeadm switches at 1.31.0)', (version, api) => {
    expect(kubeadmApiFor(version)).toBe(api);
  });

  test('matchImages defaults to the credentials registries', () => {
    const g2 = gen(PXKE.replace(/credentialProvider:[\s\S]*$/, ''));
    const config = JSON.parse(file(g2.stagesYaml, 'initramfs', '/etc/kubernetes/credential-provider/config.json').content);
    expect(config.providers[0].matchImages).toEqual(['harbor.company.local', 'registry.local:5000']);
    expect(config.providers[0].defaultCacheDuration).toBe('5m');
    expect(g2.findings.filter((f) => f.code === 'credential-unmatched')).toEqual([]);
  });

  test('mirrors only: no credential provider, no kubeadm snippet, no kubernetesVersion needed', () => {
    const g2 = gen('distribution: pxk-e\nmirrors:\n  gcr.io:\n    endpoints: [https://gcr-mirror.local]\n');
    expect(g2.kubeadmConfig).toBeUndefined();
    expect(g2.files.map((f) => `${f.stage} ${f.path}`)).toEqual([
      'initramfs /etc/containerd/config.toml',
      'initramfs /etc/containerd/certs.d/gcr.io/hosts.toml',
      'reconcile /etc/containerd/certs.d/gcr.io/hosts.toml',
    ]);
    expect(g2.stagesYaml).not.toMatch(/python3/);
  });
});

describe('k3s and rke2: registries.yaml', () => {
  const source = `
mirrors:
  docker.io:
    endpoints:
      - url: https://registry.example.com:5000
        ca: /etc/ssl/mirror.pem
    rewrite:
      "^rancher/(.*)": "mirrorproject/rancher-images/$1"
  "*":
    endpoints:
      - url: https://insecure.example.com
        skipVerify: true
credentials:
  registry.example.com:5000:
    username: xxx
    password: '{{.spectro.var.p}}'
`;

  test.each(['k3s', 'rke2'] as const)('%s reads /etc/rancher/%s/registries.yaml with mirrors and configs', (distro) => {
    const g = gen(source, distro);
    expect(g.kubeadmConfig).toBeUndefined();
    expect(g.files.map((f) => [f.stage, f.path, f.permissions])).toEqual([['initramfs', `/etc/rancher/${distro}/registries.yaml`, 0o600]]);
    const f = file(g.stagesYaml, 'initramfs', `/etc/rancher/${distro}/registries.yaml`);
    expect(parseYaml(f.content)).toEqual({
      mirrors: {
        'docker.io': { endpoint: ['https://registry.example.com:5000'], rewrite: { '^rancher/(.*)': 'mirrorproject/rancher-images/$1' } },
        '*': { endpoint: ['https://insecure.example.com'] },
      },
      configs: {
        'registry.example.com:5000': { tls: { ca_file: '/etc/ssl/mirror.pem' }, auth: { username: 'xxx', password: '{{.spectro.var.p}}' } },
        'insecure.example.com': { tls: { insecure_skip_verify: true } },
      },
    });
    // Never a file the distribution ignores: no containerd config, hosts.toml or kubelet provider.
    expect(g.stagesYaml).not.toMatch(/containerd|credential-provider|kubelet/);
  });

  test('credentials under a mirrored registry also go under each mirror host without its own (K3s keys configs by the host it contacts)', () => {
    const g = gen("mirrors:\n  docker.io:\n    endpoints: [https://a.local, 'https://b.local:8443/x']\n  quay.io:\n    endpoints: [https://own.local]\ncredentials:\n  docker.io: {username: hub, password: '{{.spectro.var.p}}'}\n  quay.io: {username: q, password: '{{.spectro.var.q}}'}\n  own.local: {username: own, password: '{{.spectro.var.o}}'}\n", 'k3s');
    const configs = (parseYaml(file(g.stagesYaml, 'initramfs', '/etc/rancher/k3s/registries.yaml').content) as { configs: Record<string, { auth: { username: string } }> }).configs;
    expect(Object.fromEntries(Object.entries(configs).map(([host, c]) => [host, c.auth.username]))).toEqual({
      'docker.io': 'hub',
      'a.local': 'hub',
      'b.local:8443': 'hub',
      'quay.io': 'q',
      'own.local': 'own',
    });
  });

  test('a Palette macro stays a single-quoted string (a bare {{ would start a YAML flow mapping)', () => {
    const f = file(gen(source, 'k3s').stagesYaml, 'initramfs', '/etc/rancher/k3s/registries.yaml');
    expect(f.content).toContain("password: '{{.spectro.var.p}}'");
  });
});

describe('the credential provider asset', () => {
  const script = readFileSync(new URL('../../assets/edgebuild-credential-provider.py', import.meta.url), 'utf8');
  test('has no {{ }} that Palette would try to render as a macro', () => {
    expect(script).not.toMatch(/\{\{|\}\}/);
  });
  test('starts with a python3 shebang', () => {
    expect(script.startsWith('#!/usr/bin/env python3\n')).toBe(true);
  });
});
