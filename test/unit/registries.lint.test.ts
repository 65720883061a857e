import { describe, expect, test } from 'vitest';
import { parseRegistries } from '../../src/core/registries/parse.js';
import { generateRegistries } from '../../src/core/registries/generate.js';
import { isPaletteReference } from '../../src/core/registries/lint.js';
import { formatPlace, InputError } from '../../src/errors.js';

function findings(source: string, distribution: 'pxk-e' | 'k3s' | 'rke2' = 'pxk-e'): string[] {
  const parsed = parseRegistries(source, 'r.yaml');
  return generateRegistries(parsed, { distribution, providerScript: '' }).findings.map((f) => `${f.code} ${formatPlace(parsed.locate(f.at, f.key))}`);
}

const BASE = 'kubernetesVersion: "1.30.1"\n';

describe('lint', () => {
  test.each([
    [
      'a credential no matchImages pattern reaches (port must match)',
      `${BASE}credentials:\n  registry.local:5000: {username: u, password: '{{.spectro.var.p}}'}\ncredentialProvider:\n  matchImages: ["*.local"]\n`,
      ['credential-unmatched r.yaml:3:3'],
    ],
    [
      'a credential one level too deep for *.io',
      `${BASE}credentials:\n  us.gcr.io: {username: u, password: '{{.spectro.var.p}}'}\ncredentialProvider:\n  matchImages: ["*.io"]\n`,
      ['credential-unmatched r.yaml:3:3'],
    ],
    [
      'a credential covered by *.*.io',
      `${BASE}credentials:\n  us.gcr.io: {username: u, password: '{{.spectro.var.p}}'}\ncredentialProvider:\n  matchImages: ["*.io", "*.*.io"]\n`,
      [],
    ],
    [
      'a literal password',
      `${BASE}credentials:\n  harbor.local:\n    username: u\n    password: hunter2\n`,
      ['password-literal r.yaml:5:15'],
    ],
    [
      'a mirror without endpoints',
      `mirrors:\n  gcr.io:\n    endpoints: []\n  quay.io:\n    endpoints: [https://q.local]\n`,
      ['mirror-no-endpoints r.yaml:3:16'],
    ],
    [
      'endpoints that are not URLs',
      `mirrors:\n  gcr.io:\n    endpoints:\n      - gcr-mirror.local\n      - ftp://x.local\n      - https://ok.local\n      - https://u:p@x.local\n`,
      ['endpoint-invalid-url r.yaml:4:9', 'endpoint-invalid-url r.yaml:5:9', 'endpoint-invalid-url r.yaml:7:9'],
    ],
    [
      'a rewrite on pxk-e',
      `mirrors:\n  docker.io:\n    endpoints: [https://m.local]\n    rewrite: {"^a/(.*)": "b/$1"}\n`,
      ['ignored-by-distribution r.yaml:4:14'],
    ],
    [
      'a Docker Hub mirror under an alias',
      `mirrors:\n  index.docker.io:\n    endpoints: [https://m.local]\n`,
      ['docker-hub-alias r.yaml:2:3'],
    ],
    [
      'Docker Hub credentials under an alias',
      `${BASE}credentials:\n  index.docker.io: {username: u, password: '{{.spectro.var.p}}'}\n`,
      ['docker-hub-alias r.yaml:3:3'],
    ],
  ])('%s', (_name, source, expected) => {
    expect(findings(source)).toEqual(expected);
  });

  test('k3s: PXK-E-only settings are reported as ignored', () => {
    const source = `${BASE}mirrors:\n  docker.io:\n    endpoints:\n      - {url: "https://m.local/x", overridePath: true, capabilities: [pull], ca: [/a, /b]}\ncredentials:\n  m.local: {username: u, password: '{{.spectro.var.p}}'}\ncredentialProvider: {matchImages: [x.io]}\n`;
    // overridePath with a path is what K3s does anyway: no finding for it.
    expect(findings(source, 'k3s')).toEqual([
      'ignored-by-distribution r.yaml:5:9',
      'ignored-by-distribution r.yaml:5:9',
      'ignored-by-distribution r.yaml:8:21',
      'ignored-by-distribution r.yaml:1:20',
    ]);
  });

  test.each([
    ['a path without overridePath: K3s sets override_path itself', '{url: "https://m.local/proxy"}', /k3s uses the path of https:\/\/m\.local\/proxy as the registry API root/],
    ['overridePath on a root URL: K3s appends /v2', '{url: "https://m.local/v2", overridePath: true}', /has no effect on k3s: it sets override_path only for an endpoint path other than \/, \/v2/],
  ])('k3s: %s', (_name, endpoint, message) => {
    const parsed = parseRegistries(`mirrors:\n  docker.io:\n    endpoints:\n      - ${endpoint}\n`, 'r.yaml');
    const found = generateRegistries(parsed, { distribution: 'k3s', providerScript: '' }).findings;
    expect(found.map((f) => f.code)).toEqual(['override-path-k3s']);
    expect(found[0]!.message).toMatch(message);
  });

  test('k3s: no override-path finding for a root URL without overridePath or a path with it', () => {
    expect(findings('mirrors:\n  docker.io:\n    endpoints: [https://m.local, "https://n.local/", {url: "https://o.local/p", overridePath: true}]\n', 'k3s')).toEqual([]);
  });

  const CREDS = "  docker.io: {username: u, password: '{{.spectro.var.p}}'}\n";
  test.each([
    ['pxk-e: credentials under a mirrored registry with the upstream fallback', `${BASE}mirrors:\n  docker.io: {endpoints: [https://m.local]}\ncredentials:\n${CREDS}`, 'pxk-e', ['credentials-reach-upstream r.yaml:3:3'], /fallback: false/],
    ['pxk-e: a glob key covers the mirrored registry', `${BASE}mirrors:\n  us.gcr.io: {endpoints: [https://m.local]}\ncredentials:\n  "*.gcr.io": {username: u, password: '{{.spectro.var.p}}'}\n`, 'pxk-e', ['credentials-reach-upstream r.yaml:3:3'], /under \*\.gcr\.io/],
    ['k3s: the same, with the K3s fix', `mirrors:\n  docker.io: {endpoints: [https://m.local]}\ncredentials:\n${CREDS}`, 'k3s', ['credentials-reach-upstream r.yaml:2:3'], /--disable-default-registry-endpoint/],
    ['pxk-e: the mirror account only under the mirror host', `${BASE}mirrors:\n  docker.io: {endpoints: [https://m.local]}\ncredentials:\n  m.local: {username: u, password: '{{.spectro.var.p}}'}\n`, 'pxk-e', ['credential-mirror-host r.yaml:5:3'], /the kubelet asks for docker\.io's/],
    ['k3s: fallback: false is ignored', 'mirrors:\n  docker.io: {endpoints: [https://m.local], fallback: false}\n', 'k3s', ['ignored-by-distribution r.yaml:2:55'], /--disable-default-registry-endpoint/],
    ['k3s: a glob credentials key is left out', "credentials:\n  '*.gcr.io': {username: u, password: '{{.spectro.var.p}}'}\n", 'k3s', ['ignored-by-distribution r.yaml:2:3'], /keys configs by exact host/],
  ] as const)('%s', (_name, source, distribution, expected, message) => {
    const parsed = parseRegistries(source, 'r.yaml');
    const found = generateRegistries(parsed, { distribution, providerScript: '' }).findings;
    expect(found.map((f) => `${f.code} ${formatPlace(parsed.locate(f.at, f.key))}`)).toEqual(expected);
    expect(found[0]!.message).toMatch(message);
  });

  test('pxk-e: spectro-containerd is said not to be served (a warning, exit 2 with --strict)', () => {
    expect(findings('mirrors:\n  docker.io: {endpoints: [https://m.local]}\ncontainerd:\n  service: spectro-containerd\n')).toEqual(['containerd-not-served r.yaml:4:12']);
    expect(findings('mirrors:\n  docker.io: {endpoints: [https://m.local]}\ncontainerd:\n  service: containerd\n')).toEqual([]);
  });

  test('pxk-e: fallback: false silences the upstream warning', () => {
    expect(findings(`${BASE}mirrors:\n  docker.io: {endpoints: [https://m.local], fallback: false}\ncredentials:\n${CREDS}`)).toEqual([]);
  });

  test.each([
    ['{{.spectro.var.harborPassword}}', true],
    ['{{ .spectro.var.harbor_password }}', true],
    ['{{.spectro.macro.registry.password}}', true],
    ['{{.spectro.var.a}}{{.spectro.var.b}}', false],
    ['prefix{{.spectro.var.a}}', false],
    ['{{.Values.password}}', false],
    ['hunter2', false],
  ])('%s is a Palette variable or macro: %s', (value, expected) => {
    expect(isPaletteReference(value)).toBe(expected);
  });
});

describe('hard errors (exit 2)', () => {
  function error(source: string, distribution?: 'pxk-e'): InputError {
    try {
      generateRegistries(parseRegistries(source, 'r.yaml'), { distribution, providerScript: '' });
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    throw new Error('no error');
  }

  test.each([
    ['no distribution', 'mirrors:\n  gcr.io: {endpoints: [https://m.local]}\n', undefined, 'r.yaml:1:1', 'registries-distribution'],
    ['nothing to generate', 'distribution: k3s\nmirrors:\n  gcr.io: {endpoints: []}\n', undefined, 'r.yaml:1:1', 'registries-empty'],
    ['pxk-e credentials without kubernetesVersion', "credentials:\n  a.local: {username: u, password: '{{.spectro.var.p}}'}\n", 'pxk-e', 'r.yaml:1:1', 'registries-k8s-version'],
    ['Kubernetes before CredentialProviderConfig v1', "kubernetesVersion: '1.25.3'\ncredentials:\n  a.local: {username: u, password: '{{.spectro.var.p}}'}\n", 'pxk-e', 'r.yaml:1:20', 'registries-k8s-version'],
    ['a matchImages entry the kubelet rejects', "kubernetesVersion: '1.30.3'\ncredentials:\n  a.local: {username: u, password: '{{.spectro.var.p}}'}\ncredentialProvider:\n  matchImages: [ok.local, 'bad:port']\n", 'pxk-e', 'r.yaml:5:27', 'registries-match-images'],
  ] as const)('%s', (_name, source, distribution, place, code) => {
    const e = error(source, distribution);
    expect(e.code).toBe(code);
    expect(e.message.startsWith(`${place}: `)).toBe(true);
    expect(e.fix).toBeTruthy();
    expect(e.exitCode).toBe(2);
  });
});
