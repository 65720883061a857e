import { describe, expect, test } from 'vitest';
import {
  ARTIFACT_TYPE,
  EMPTY_DIGEST,
  TITLE,
  compareLayers,
  formatReference,
  imageManifestProblems,
  makeImageManifest,
  parseChallenge,
  parseImageManifest,
  parseReference,
  renderImageManifest,
} from '../../src/core/ociArtifact.js';
import { sha256 } from '../../src/core/digest.js';
import { InputError, RuntimeError } from '../../src/errors.js';

const HEX = 'a'.repeat(64);
const files = [
  { name: 'installer.iso', sha256: HEX, size: 4 * 2 ** 30 },
  { name: 'installer.iso.sha256', sha256: 'b'.repeat(64), size: 81 },
  { name: 'manifest.json', sha256: 'c'.repeat(64), size: 1200 },
];
const image = makeImageManifest({ buildKey: 'k'.repeat(64), canvos: { repo: 'r', tag: 'v4.9.38', commit: 'c', peVersion: 'v4.9.38' }, finishedAt: '2026-12-01T00:00:00.000Z' }, files);

describe('parseReference', () => {
  test.each([
    ['registry.example.com/edge/installer:v4.9.38', { registry: 'registry.example.com', repository: 'edge/installer', tag: 'v4.9.38' }],
    ['127.0.0.1:5000/installer:latest', { registry: '127.0.0.1:5000', repository: 'installer', tag: 'latest' }],
    ['localhost/a/b/c:t', { registry: 'localhost', repository: 'a/b/c', tag: 't' }],
    [`reg.io/edge/installer@sha256:${HEX}`, { registry: 'reg.io', repository: 'edge/installer', digest: `sha256:${HEX}` }],
    [`reg.io/edge/installer:v1@sha256:${HEX}`, { registry: 'reg.io', repository: 'edge/installer', tag: 'v1', digest: `sha256:${HEX}` }],
  ])('%s', (text, expected) => {
    expect(parseReference(text, '--to')).toEqual(expected);
    expect(formatReference(parseReference(text, '--to'))).toBe(text);
  });

  test.each([
    ['edge/installer:v1', /does not start with a registry host/],
    ['installer:v1', /does not start with a registry host/],
    ['reg.io/Edge/installer:v1', /not lowercase path components/],
    ['reg.io/edge/installer:-bad', /not a valid tag/],
    ['reg.io/edge/installer@sha256:abc', /not sha256:<64 hex digits>/],
    ['reg.io/edge/installer', /neither a tag nor a digest/],
  ])('%s is exit 2 naming the part', (text, message) => {
    const attempt = (): unknown => parseReference(text, '--to');
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });

  test.each(['edge:hunter2@registry.example.com/edge/installer:v1', 'https://edge:hunter2@registry.example.com/edge/installer:v1', 'https://registry.example.com/edge/installer:v1'])(
    'a scheme or credentials in %s are refused without echoing them',
    (text) => {
      const attempt = (): unknown => parseReference(text, '--to');
      expect(attempt).toThrow(InputError);
      expect(attempt).toThrow(/scheme or credentials/);
      expect(attempt).not.toThrow(/hunter2/);
    },
  );

  test('a push needs a tag', () => {
    expect(() => parseReference(`reg.io/edge/installer@sha256:${HEX}`, '--to', true)).toThrow(/it has no tag/);
  });
});

describe('the image manifest', () => {
  test('ORAS layout: artifactType, the empty config, one titled layer per file with its own media type, annotations', () => {
    expect(imageManifestProblems(JSON.parse(renderImageManifest(image)))).toEqual([]);
    expect(image.artifactType).toBe(ARTIFACT_TYPE);
    expect(image.config).toEqual({ mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2, data: 'e30=' });
    expect(sha256('{}')).toBe(EMPTY_DIGEST.slice(7));
    expect(Buffer.from(image.config.data ?? '', 'base64').toString()).toBe('{}');
    expect(image.layers.map((l) => [l.mediaType, l.annotations?.[TITLE]])).toEqual([
      ['application/x-iso9660-image', 'installer.iso'],
      ['text/plain', 'installer.iso.sha256'],
      ['application/vnd.edgebuild.manifest.v1+json', 'manifest.json'],
    ]);
    expect(image.annotations).toMatchObject({ 'dev.edgebuild.build-key': 'k'.repeat(64), 'dev.edgebuild.canvos-tag': 'v4.9.38', 'org.opencontainers.image.created': '2026-12-01T00:00:00.000Z' });
  });

  const broken: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ['schemaVersion 1', (m) => (m.schemaVersion = 1), /schemaVersion is not 2/],
    ['an index media type', (m) => (m.mediaType = 'application/vnd.oci.image.index.v1+json'), /mediaType is not/],
    ['no config', (m) => delete m.config, /config is not an object/],
    ['empty config without artifactType', (m) => delete m.artifactType, /artifactType is required/],
    ['a layer with an uppercase digest', (m) => ((m.layers as { digest: string }[])[0]!.digest = `sha256:${'A'.repeat(64)}`), /layers\[0\]\.digest/],
    ['a negative size', (m) => ((m.layers as { size: number }[])[1]!.size = -1), /layers\[1\]\.size/],
    ['a media type without a slash', (m) => ((m.layers as { mediaType: string }[])[0]!.mediaType = 'iso'), /layers\[0\]\.mediaType/],
    ['annotations that are not strings', (m) => (m.annotations = { a: 1 }), /annotations is not a map of strings/],
    ['layers not an array', (m) => (m.layers = {}), /layers is not an array/],
    ['config data not base64', (m) => ((m.config as { data: string }).data = '!!'), /config\.data is not base64/],
  ];
  test.each(broken)('the spec rules catch %s', (_name, damage, problem) => {
    const copy = JSON.parse(renderImageManifest(image)) as Record<string, unknown>;
    damage(copy);
    expect(imageManifestProblems(copy).join('; ')).toMatch(problem);
  });

  test('read back: titles become file names, so a path, a dot file or a duplicate is refused', () => {
    expect(parseImageManifest(renderImageManifest(image), 'ref').layers.map((l) => l.name)).toEqual(files.map((f) => f.name));
    for (const title of ['../evil', 'a/b', '.hidden', '..', '']) {
      const copy = JSON.parse(renderImageManifest(image)) as typeof image;
      copy.layers[0]!.annotations = { [TITLE]: title };
      expect(() => parseImageManifest(JSON.stringify(copy), 'ref')).toThrow(RuntimeError);
    }
    const dup = JSON.parse(renderImageManifest(image)) as typeof image;
    dup.layers[1]!.annotations = { [TITLE]: 'installer.iso' };
    expect(() => parseImageManifest(JSON.stringify(dup), 'ref')).toThrow(/same title/);
    const other = { ...image, artifactType: 'application/vnd.other' };
    expect(() => parseImageManifest(JSON.stringify(other), 'ref')).toThrow(/artifactType/);
    expect(() => parseImageManifest('not json', 'ref')).toThrow(/not JSON/);
  });
});

describe('compareLayers (verify --ref)', () => {
  const local = { artifacts: files.slice(0, 2) };
  const own = files[2]!;
  test('the same files pass; a different, missing or extra layer fails naming it', () => {
    expect(compareLayers(files, local, own).every((c) => c.ok)).toBe(true);
    const changed = compareLayers([{ ...files[0]!, sha256: 'd'.repeat(64) }, ...files.slice(1)], local, own);
    expect(changed.filter((c) => !c.ok).map((c) => c.id)).toEqual(['ref-layer-differs']);
    expect(compareLayers(files.slice(1), local, own).filter((c) => !c.ok).map((c) => c.message)).toEqual(['the pushed artifact has no layer installer.iso']);
    expect(compareLayers([...files, { name: 'x', sha256: HEX, size: 1 }], local, own).filter((c) => !c.ok).map((c) => c.id)).toEqual(['ref-layer-extra']);
  });
});

describe('parseChallenge', () => {
  test.each([
    ['Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"', { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' } }],
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ['bearer realm=https://x/token, service=reg', { scheme: 'bearer', params: { realm: 'https://x/token', service: 'reg' } }],
    ['Bearer realm="a\\"b"', { scheme: 'bearer', params: { realm: 'a"b' } }],
  ])('%s', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});
