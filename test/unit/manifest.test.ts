import { describe, expect, test } from 'vitest';
import { makeManifest, parseManifest, renderManifest, upToDate, type ManifestInput } from '../../src/core/manifest.js';
import { maskUrlCredentials } from '../../src/core/urlCredentials.js';
import { RuntimeError } from '../../src/errors.js';

const input: ManifestInput = {
  edgebuild: { version: '0.1.0' },
  buildKey: 'k'.repeat(64),
  canvos: { repo: 'https://user:tok@github.com/spectrocloud/CanvOS.git', tag: 'v4.9.38', commit: 'c'.repeat(40), peVersion: 'v4.9.38' },
  target: '+iso',
  command: ['./earthly.sh', '+iso', '--ARCH=amd64'],
  arg: { ARCH: 'amd64', HTTPS_PROXY: 'http://bob:pr0xy-pass@proxy.example:3128', CUSTOM_TAG: 'has-s3cret-inside' },
  userData: { sha256: 'u'.repeat(64), imageRedirectWebhook: false, isoPath: 'files-iso/config.yaml' },
  files: [],
  preflight: [{ id: 'docker', ok: true }],
  startedAt: '2026-11-25T10:00:00.000Z',
  finishedAt: '2026-11-25T10:30:00.000Z',
  durationMs: 1_800_000,
  artifacts: [{ name: 'palette-edge-installer.iso', size: 10, sha256: 'a'.repeat(64) }],
};

describe('makeManifest', () => {
  const manifest = makeManifest(input, ['s3cret']);
  const text = renderManifest(manifest);

  test('masks URL credentials and redacts secrets, keeps the rest', () => {
    expect(manifest.canvos.repo).toBe('https://***@github.com/spectrocloud/CanvOS.git');
    expect(manifest.arg.HTTPS_PROXY).toBe('http://***@proxy.example:3128');
    expect(manifest.arg.CUSTOM_TAG).toBe('has-***-inside');
    expect(manifest.arg.ARCH).toBe('amd64');
    expect(manifest.schemaVersion).toBe(1);
    for (const secret of ['s3cret', 'pr0xy-pass', 'tok@', 'bob:']) expect(text).not.toContain(secret);
  });

  test('round-trips through parseManifest', () => {
    expect(parseManifest(text, 'manifest.json')).toEqual(manifest);
  });
});

test.each([
  ['http://u:p@h:1', 'http://***@h:1'],
  ['see https://x@y.example/a and ftp://a:b@c', 'see https://***@y.example/a and ftp://***@c'],
  ['no credentials here: http://host/a@b', 'no credentials here: http://host/a@b'],
])('maskUrlCredentials(%j)', (value, masked) => {
  expect(maskUrlCredentials(value)).toBe(masked);
});

describe('parseManifest refuses what is not a manifest', () => {
  const good = makeManifest(input, []);
  test.each([
    ['not JSON', '{'],
    ['another schema', JSON.stringify({ ...good, schemaVersion: 2 })],
    ['no build key', JSON.stringify({ ...good, buildKey: undefined })],
    ['no artifacts', JSON.stringify({ ...good, artifacts: [] })],
    ['an artifact path', JSON.stringify({ ...good, artifacts: [{ name: '../x.iso', size: 1, sha256: 'a' }] })],
    ['no user-data', JSON.stringify({ ...good, userData: {} })],
  ])('%s', (_what, text) => {
    expect(() => parseManifest(text, 'dist/manifest.json')).toThrow(RuntimeError);
  });
});

describe('upToDate', () => {
  const manifest = makeManifest(input, []);
  const sizes = new Map([['palette-edge-installer.iso', 10]]);
  test.each<[string, string, Map<string, number | undefined>, boolean]>([
    ['same key, artifacts present', 'k'.repeat(64), sizes, true],
    ['another key', 'x'.repeat(64), sizes, false],
    ['the ISO gone', 'k'.repeat(64), new Map([['palette-edge-installer.iso', undefined]]), false],
    ['the ISO truncated', 'k'.repeat(64), new Map([['palette-edge-installer.iso', 9]]), false],
  ])('%s → %s', (_what, key, present, expected) => {
    expect(upToDate(manifest, key, present)).toBe(expected);
  });
  test('no manifest', () => expect(upToDate(undefined, 'k', sizes)).toBe(false));
});
