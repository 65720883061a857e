import { describe, expect, test } from 'vitest';
import { globMatch, imageAllowed, parseSchemelessUrl, registryCovered, urlsMatchStr } from '../../src/core/registries/matchImages.js';

/**
 * Cases copied from the kubelet's own tests, so our port answers exactly as the
 * kubelet does:
 *  - K: kubernetes/kubernetes pkg/credentialprovider/keyring_test.go TestUrlsMatch
 *  - P: kubernetes/kubernetes pkg/credentialprovider/plugin/plugin_test.go Test_Provide
 *       (matchImages vs image of each case)
 *  - G: keyring_test.go TestDockerKeyringForGlob / TestKeyringMiss (glob, target + "/foo/bar"),
 *       with the scheme stripped as BasicDockerKeyring.Add does
 */
const kubeletCases: [source: string, glob: string, target: string, match: boolean][] = [
  // K: match when there is no path component
  ['K', '*.kubernetes.io', 'prefix.kubernetes.io', true],
  ['K', 'prefix.*.io', 'prefix.kubernetes.io', true],
  ['K', 'prefix.kubernetes.*', 'prefix.kubernetes.io', true],
  ['K', '*-good.kubernetes.io', 'prefix-good.kubernetes.io', true],
  // K: match with path components
  ['K', '*.kubernetes.io/blah', 'prefix.kubernetes.io/blah', true],
  ['K', 'prefix.*.io/foo', 'prefix.kubernetes.io/foo/bar', true],
  // K: match with path components and ports
  ['K', '*.kubernetes.io:1111/blah', 'prefix.kubernetes.io:1111/blah', true],
  ['K', 'prefix.*.io:1111/foo', 'prefix.kubernetes.io:1111/foo/bar', true],
  // K: no match when number of parts mismatch
  ['K', '*.kubernetes.io', 'kubernetes.io', false],
  ['K', '*.*.kubernetes.io', 'prefix.kubernetes.io', false],
  ['K', '*.*.kubernetes.io', 'kubernetes.io', false],
  // K: no match when some parts mismatch
  ['K', 'kubernetes.io', 'kubernetes.com', false],
  ['K', 'k*.io', 'quay.io', false],
  // K: no match when ports mismatch
  ['K', '*.kubernetes.io:1234/blah', 'prefix.kubernetes.io:1111/blah', false],
  ['K', 'prefix.*.io/foo', 'prefix.kubernetes.io:1111/foo/bar', false],
  // P: plugin Test_Provide
  ['P', 'test.registry.io', 'test.registry.io/foo/bar', true],
  ['P', 'test.registry.io/foo/bar', 'test.registry.io/foo/bar', true],
  ['P', 'test.registry.io', 'test.registry.io', true],
  ['P', '*.registry.io:8080', 'test.registry.io:8080/foo', true],
  ['P', '*.*.registry.io', 'foo.bar.registry.io/foo/bar', true],
  ['P', '*.registry.io', 'test.registry.io', true],
  // G: TestDockerKeyringForGlob (all found)
  ['G', 'hello.kubernetes.io', 'hello.kubernetes.io/foo/bar', true],
  ['G', '*.docker.io', 'prefix.docker.io/foo/bar', true],
  ['G', 'prefix.*.io', 'prefix.docker.io/foo/bar', true],
  ['G', 'prefix.docker.*', 'prefix.docker.io/foo/bar', true],
  ['G', '*.docker.io/path', 'prefix.docker.io/path/foo/bar', true],
  ['G', 'prefix.*.io/path', 'prefix.docker.io/path/subpath/foo/bar', true],
  ['G', '*.docker.io:8888', 'prefix.docker.io:8888/foo/bar', true],
  ['G', 'prefix.docker.*:8888', 'prefix.docker.io:8888/foo/bar', true],
  ['G', '*.docker.io/path:1111', 'prefix.docker.io/path:1111/foo/bar', true],
  ['G', 'prefix.docker.io:1111', 'prefix.docker.io:1111/path/foo/bar', true],
  ['G', '*.docker.io:1111', 'prefix.docker.io:1111/path/foo/bar', true],
  // G: TestKeyringMiss (none found)
  ['G', 'hello.kubernetes.io', 'world.mesos.org/foo/bar/foo/bar', false],
  ['G', '*.docker.com', 'prefix.docker.io/foo/bar', false],
  ['G', 'suffix.*.io', 'prefix.docker.io/foo/bar', false],
  ['G', 'prefix.docker.c*', 'prefix.docker.io/foo/bar', false],
  ['G', 'prefix.*.io/path:1111', 'prefix.docker.io/path/subpath:1111/foo/bar', false],
];

// The vendor guide's claims about its own patterns, checked against the same rules.
const vendorCases: [glob: string, target: string, match: boolean][] = [
  ['*.io', 'docker.io/library/nginx', true],
  ['*.io', 'quay.io/coreos/etcd', true],
  ['*.io', 'gcr.io/project/app', true],
  ['*.io', 'us.gcr.io/project/app', false],
  ['*.*.io', 'us.gcr.io/project/app', true],
  // A registry with a port is never matched by a pattern without that port.
  ['*.io', 'harbor.io:5000/team/app', false],
  ['*.*.io', 'harbor.company.io:8443/team/app', false],
  ['harbor.company.io:8443', 'harbor.company.io:8443/team/app', true],
  // Path prefixes are plain string prefixes, as in Go strings.HasPrefix.
  ['registry.local/team', 'registry.local/teamwork/app', true],
  ['registry.local/team/', 'registry.local/teamwork/app', false],
];

describe('kubelet matchImages rules (URLsMatchStr)', () => {
  test.each(kubeletCases)('[%s] %s vs %s -> %s', (_source, glob, target, match) => {
    expect(urlsMatchStr(glob, target)).toBe(match);
  });

  test.each(vendorCases)('%s vs %s -> %s', (glob, target, match) => {
    expect(urlsMatchStr(glob, target)).toBe(match);
  });

  test('a malformed pattern never matches (the kubelet ignores the error)', () => {
    expect(urlsMatchStr('[.io', 'a.io/x')).toBe(false);
    expect(urlsMatchStr('registry:abc', 'registry:abc/x')).toBe(false);
  });

  test('imageAllowed checks every pattern', () => {
    expect(imageAllowed(['*.io', 'registry.local:5000'], 'registry.local:5000/a/b')).toBe(true);
    expect(imageAllowed(['*.io'], 'registry.local:5000/a/b')).toBe(false);
  });
});

describe('Go filepath.Match on one host part', () => {
  test.each([
    ['*', 'anything', true],
    ['*', '', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[^a-c]x', 'dx', true],
    ['[^a-c]x', 'ax', false],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['a.b', 'a.b', true],
    ['(x)', '(x)', true],
  ] as const)('%s vs %s -> %s', (pattern, name, match) => {
    expect(globMatch(pattern, name)).toBe(match);
  });

  test.each(['[', '[]', '[a-', 'a\\', '[z-a]'])('bad pattern %s throws', (pattern) => {
    expect(() => globMatch(pattern, 'x')).toThrow();
  });
});

describe('parseSchemelessUrl (Go url.Parse with https:// prefixed)', () => {
  test.each([
    ['registry.local:5000/a/b', 'registry.local:5000', '/a/b'],
    ['registry.local', 'registry.local', ''],
    ['user@registry.local/x', 'registry.local', '/x'],
    ['registry.local/a%20b', 'registry.local', '/a b'],
    ['registry.local/x?q=1#f', 'registry.local', '/x'],
    ['[::1]:5000/x', '[::1]:5000', '/x'],
  ])('%s', (text, host, path) => {
    expect(parseSchemelessUrl(text)).toEqual({ host, path });
  });

  test.each(['registry:abc', 'bad host', 'registry.local/%zz'])('%s is invalid', (text) => {
    expect(() => parseSchemelessUrl(text)).toThrow();
  });
});

describe('registryCovered', () => {
  test.each([
    [['*.company.local'], 'harbor.company.local', true],
    [['*.company.local'], 'harbor.company.local:8443', false],
    [['harbor.company.local/team'], 'harbor.company.local', true],
    [['*.io', '*.*.io'], 'registry.local:5000', false],
    [['registry.local:5000'], 'registry.local:5000', true],
  ] as const)('%j covers %s -> %s', (patterns, registry, covered) => {
    expect(registryCovered(patterns, registry)).toBe(covered);
  });
});
