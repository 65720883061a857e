import fc from 'fast-check';
import { expect, test } from 'vitest';
import { buildKey, type BuildKeyInput } from '../../src/core/build/key.js';

const base: BuildKeyInput = {
  commit: 'a'.repeat(40),
  argText: 'ARCH=amd64\n',
  userDataSha256: 'b'.repeat(64),
  files: [
    { to: 'content-1/a.zst', sha256: 'c'.repeat(64) },
    { to: 'certs/ca.crt', sha256: 'd'.repeat(64) },
  ],
  target: '+iso',
  edgebuildMajor: 0,
};

test('is a sha256 hex digest and stable', () => {
  expect(buildKey(base)).toMatch(/^[0-9a-f]{64}$/);
  expect(buildKey(base)).toBe(buildKey({ ...base }));
});

test('the order of the extra files does not matter', () => {
  expect(buildKey({ ...base, files: [...base.files].reverse() })).toBe(buildKey(base));
});

test.each<[string, Partial<BuildKeyInput>]>([
  ['commit', { commit: 'e'.repeat(40) }],
  ['.arg', { argText: 'ARCH=arm64\n' }],
  ['user-data', { userDataSha256: 'f'.repeat(64) }],
  ['a file content', { files: [{ to: 'content-1/a.zst', sha256: '0'.repeat(64) }, base.files[1]!] }],
  ['a file destination', { files: [{ to: 'content-2/a.zst', sha256: 'c'.repeat(64) }, base.files[1]!] }],
  ['no files', { files: [] }],
  ['target', { target: '+build-all-images' }],
  ['major version', { edgebuildMajor: 1 }],
])('changing the %s changes the key', (_what, change) => {
  expect(buildKey({ ...base, ...change })).not.toBe(buildKey(base));
});

test('property: fields cannot be shifted into one another', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      const one = buildKey({ ...base, argText: a + b, target: '' });
      const two = buildKey({ ...base, argText: a, target: b });
      return b === '' ? true : one !== two;
    }),
  );
});
