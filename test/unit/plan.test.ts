import { describe, expect, test } from 'vitest';
import { makePlan } from '../../src/core/plan.js';
import { prepareUserData } from '../../src/core/userData/prepare.js';

function planFor(userData: string, env: Record<string, string> = {}) {
  return makePlan({
    repo: 'file:///canvos',
    tag: 'v4.9.38',
    commit: 'c'.repeat(40),
    peVersion: 'v4.9.38',
    canvosDir: '/work/canvos',
    target: '+iso',
    arg: {},
    userData: { ...prepareUserData(userData, 'user-data.yaml', { env }), source: '/u.yaml' },
    files: [],
    configFile: undefined,
  });
}

describe('privateIso: the installer ISO is published 0600 when its user-data holds credentials', () => {
  test.each([
    ['a literal edgeHostToken', '#cloud-config\nstylus:\n  site:\n    edgeHostToken: abc123\n', {}, true],
    ['a token from the environment', '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:T}\n', { T: 'abc123' }, true],
    ['another value from the environment', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: ${env:E}\n', { E: 'api.example.com' }, true],
    ['no token, no secret', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n', {}, false],
    ['an empty token', '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ""\n    paletteEndpoint: api.example.com\n', {}, false],
  ])('%s → %s', (_name, userData, env, expected) => {
    expect(planFor(userData, env).privateIso).toBe(expected);
  });
});
