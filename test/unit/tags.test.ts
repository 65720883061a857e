import { describe, expect, test } from 'vitest';
import { latestStable, parseTag, readPeVersion, sortTags, suggestTags } from '../../src/core/tags.js';

// Shaped like CanvOS's real tag list (see the research notes): rc, patch, alpha and odd names.
const TAGS = ['v3.4.3', 'v4.4.5', 'v4.5.3', 'v4.5.14-rc.1', 'v4.5.14-rc.10', 'v4.5.14-rc.2', 'v4.5.14', 'v4.5.15', 'v4.6.21-patch.6', 'v4.6.21', 'v4.7.2-rc.2', 'v4.8.a', 'v4.8.10-alpha1', 'v4.9.38', 'v4.10.0-rc.1', 'archive/feat-x'];

describe('parseTag', () => {
  test.each([
    ['v4.5.15', 'stable', [4, 5, 15], []],
    ['4.5.15', 'stable', [4, 5, 15], []],
    ['v4.5.14-rc.10', 'prerelease', [4, 5, 14], ['rc', 10]],
    ['v4.6.21-patch.6', 'prerelease', [4, 6, 21], ['patch', 6]],
    ['v4.8.10-alpha1', 'prerelease', [4, 8, 10], ['alpha1']],
    ['v4.8.a', 'other', [4, 8, 0], ['a']],
    ['v4.9.b', 'other', [4, 9, 0], ['b']],
    ['archive/feat-x', 'other', undefined, []],
  ] as const)('%s', (name, kind, version, pre) => {
    const tag = parseTag(name);
    expect(tag.kind).toBe(kind);
    expect(tag.version).toEqual(version);
    expect(tag.pre).toEqual(pre);
  });
});

describe('sortTags', () => {
  test('orders newest first by semver precedence, rc.10 above rc.2', () => {
    expect(sortTags(TAGS).map((t) => t.name)).toEqual([
      'v4.10.0-rc.1',
      'v4.9.38',
      'v4.8.10-alpha1',
      'v4.8.a',
      'v4.7.2-rc.2',
      'v4.6.21',
      'v4.6.21-patch.6',
      'v4.5.15',
      'v4.5.14',
      'v4.5.14-rc.10',
      'v4.5.14-rc.2',
      'v4.5.14-rc.1',
      'v4.5.3',
      'v4.4.5',
      'v3.4.3',
      'archive/feat-x',
    ]);
  });
});

describe('latestStable', () => {
  test.each([
    [TAGS, 'v4.9.38'],
    [['v4.5.15', 'v4.6.0-rc.1', 'v4.8.a'], 'v4.5.15'],
    [['v4.10.0', 'v4.9.38'], 'v4.10.0'], // numeric, not lexical
    [['v4.6.0-rc.1', 'v4.8.a'], undefined],
    [[], undefined],
  ])('%j → %s', (tags, expected) => {
    expect(latestStable(tags)).toBe(expected);
  });
});

describe('suggestTags', () => {
  test.each([
    // The vendor guide's example tag was never tagged: suggest the nearest on its line.
    ['v4.5.0', ['v4.5.3', 'v4.5.14', 'v4.5.15']],
    ['v4.5.16', ['v4.5.15', 'v4.5.14', 'v4.5.3']],
    ['v4.5.14-rc.3', ['v4.5.14', 'v4.5.15', 'v4.5.3']],
    // A release line without a patch: its newest releases, not its oldest.
    ['v4.5', ['v4.5.15', 'v4.5.14', 'v4.5.3']],
    ['4.5', ['v4.5.15', 'v4.5.14', 'v4.5.3']],
  ])('%s → %j', (wanted, expected) => {
    expect(suggestTags(wanted, TAGS)).toEqual(expected);
  });

  test.each([
    ['4.9.38x', 'v4.9.38'], // typo'd suffix: same release line first
    ['v4.8.b', 'v4.8.a'],
    ['archive/feat-y', 'archive/feat-x'], // no version: nearest name
  ])('%s is closest to %s', (wanted, first) => {
    expect(suggestTags(wanted, TAGS)[0]).toBe(first);
  });
});

describe('readPeVersion', () => {
  test.each([
    ['VERSION 0.6\nARG PE_VERSION=v4.5.15\n', 'v4.5.15'],
    ['VERSION 0.6\nARG --global PE_VERSION=v4.9.21\n', 'v4.9.21'],
    ['ARG PE_VERSION="v4.4.6"\n', 'v4.4.6'],
    ['ARG PE_VERSION\n', undefined],
    ['# ARG PE_VERSION=v1\nARG OTHER=1\n', undefined],
  ])('%j → %s', (earthfile, expected) => {
    expect(readPeVersion(earthfile)).toBe(expected);
  });
});
