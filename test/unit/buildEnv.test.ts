import { expect, test } from 'vitest';
import { buildEnv } from '../../src/core/build/env.js';
import { urlCredentials } from '../../src/core/urlCredentials.js';
import { startedByBuild } from '../../src/adapters/dockerBuild.js';

test.each([
  ['http://proxy:3128', []],
  ['http://bob:pw@proxy:3128', ['bob:pw', 'pw']],
  ['https://token@proxy', ['token']],
  ['', []],
])('urlCredentials(%j)', (value, found) => {
  expect(urlCredentials(value)).toEqual(found);
});

test('proxy values from .arg are exported in both cases; their credentials become secrets', () => {
  const { env, secrets } = buildEnv({ HTTPS_PROXY: 'http://bob:pw@proxy:3128', HTTP_PROXY: '', NO_PROXY: 'localhost,.corp' }, { PATH: '/bin' }, ['tok']);
  expect(env).toEqual({ PATH: '/bin', HTTPS_PROXY: 'http://bob:pw@proxy:3128', https_proxy: 'http://bob:pw@proxy:3128', NO_PROXY: 'localhost,.corp', no_proxy: 'localhost,.corp' });
  expect(secrets.sort()).toEqual(['bob:pw', 'pw', 'tok']);
});

test('startedByBuild: new containers named earthly-buildkitd or run from an Earthly image, nothing else', () => {
  const before = new Set(['old']);
  const after = [
    { id: 'old', name: 'earthly-buildkitd', image: 'x/earthly/buildkitd:v0.8.15' },
    { id: 'b', name: 'earthly-buildkitd', image: 'busybox' },
    { id: 'e', name: 'eager_turing', image: 'us-docker.pkg.dev/palette-images/third-party/edge/earthly/earthly:v0.8.15' },
    { id: 'f', name: 'f', image: 'earthly/buildkitd:v0.7.4' },
    { id: 'u', name: 'unrelated', image: 'postgres:16' },
    { id: 'n', name: 'n', image: 'myearthly/earthly-tools:1' },
  ];
  expect(startedByBuild(before, after).map((c) => c.id)).toEqual(['b', 'e', 'f']);
});
