import { describe, expect, test } from 'vitest';
import { compareVersions, isPodman, parseEngineVersion } from '../../src/core/preflight/engineVersion.js';

describe('parseEngineVersion', () => {
  test.each([
    ['28.2.2', [28, 2, 2]],
    ['20.10.24+dfsg1', [20, 10, 24]],
    ['18.09.1', [18, 9, 1]],
    ['18.09', [18, 9, 0]],
    ['17.12.1-ce', [17, 12, 1]],
    ['v25.0.3', [25, 0, 3]],
    ['1.13.1', [1, 13, 1]],
    ['5.2.0-dev', [5, 2, 0]],
    [' 26.1.4 ', [26, 1, 4]],
    ['dev', undefined],
    ['', undefined],
    ['master-dockerproject-2020-01-01', undefined],
  ] as const)('%j → %j', (text, parts) => {
    const parsed = parseEngineVersion(text);
    expect(parsed && [parsed.major, parsed.minor, parsed.patch]).toEqual(parts);
  });

  test('18.09 sorts above 18.6 and 1.13 (numeric, not text, order)', () => {
    const v = (t: string) => parseEngineVersion(t)!;
    expect(compareVersions(v('18.09.0'), v('18.06.3-ce'))).toBeGreaterThan(0);
    expect(compareVersions(v('1.13.1'), v('18.09'))).toBeLessThan(0);
    expect(compareVersions(v('20.10.24+dfsg1'), v('20.10.24'))).toBe(0);
  });
});

describe('isPodman', () => {
  test.each([
    [{ version: '4.9.3', components: ['Podman Engine'] }, true],
    [{ version: '5.2.0', platformName: 'Podman Engine' }, true],
    [{ version: '28.2.2', platformName: 'Docker Engine - Community', components: ['Engine', 'containerd', 'runc'] }, false],
    [{ version: '27.0.3', platformName: 'Docker Desktop 4.32.0 (157355)' }, false],
    [{ version: '20.10.24+dfsg1', components: ['Engine'] }, false],
  ])('%j → %s', (engine, podman) => {
    expect(isPodman(engine)).toBe(podman);
  });
});
