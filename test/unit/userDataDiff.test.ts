import { describe, expect, test } from 'vitest';
import { diffUserData, formatMeaningDiff } from '../../src/core/userData/diff.js';
import { onlyUserDataDiffers, userDataCandidates } from '../../src/core/remaster.js';
import type { Manifest } from '../../src/core/manifest.js';

describe('diffUserData', () => {
  test('changed, added and removed key paths; formatting and comments are no change', () => {
    const before = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: a.example  # old\n    name: x\n  debug: true\nstages: [1, 2]\n';
    const after = "#cloud-config\nstylus:\n  site: {paletteEndpoint: b.example, name: 'x', edgeHostToken: s3cret}\nstages: [1, 2]\n";
    const diff = diffUserData(before, after);
    expect(diff).toEqual({ changed: ['stylus.site.paletteEndpoint'], added: ['stylus.site.edgeHostToken'], removed: ['stylus.debug'] });
    expect(formatMeaningDiff(diff)).toEqual(['~ stylus.site.paletteEndpoint', '+ stylus.site.edgeHostToken', '- stylus.debug']);
    expect(JSON.stringify(diff)).not.toContain('s3cret');
  });

  test('a list is one value: reordering it is a change', () => {
    expect(diffUserData('a: [1, 2]\n', 'a: [2, 1]\n').changed).toEqual(['a']);
  });

  test('an unreadable old user-data makes every key added and says why', () => {
    const diff = diffUserData('a: [unclosed\n', 'b: 1\n');
    expect(diff.added).toEqual(['b']);
    expect(diff.unreadable).toBeTruthy();
  });
});

describe('remaster decisions', () => {
  test('the manifest path first, then the ISO and UKI layouts', () => {
    expect(userDataCandidates(undefined)).toEqual(['files-iso/config.yaml', 'config.yaml']);
    expect(userDataCandidates('/config.yaml')).toEqual(['config.yaml', 'files-iso/config.yaml']);
  });
});

describe('onlyUserDataDiffers', () => {
  const published = {
    canvos: { repo: 'r', tag: 'v1', commit: 'c1', peVersion: null },
    target: '+iso',
    arg: { A: '1', B: '2' },
    files: [{ to: 'x', sha256: 'f' }],
    userData: { sha256: 'u1', imageRedirectWebhook: false, isoPath: 'files-iso/config.yaml' },
  } as unknown as Manifest;
  const planned = { commit: 'c1', target: '+iso', arg: { B: '2', A: '1' }, files: [{ to: 'x', sha256: 'f' }], userDataSha256: 'u2' };

  test('the same build with other user-data is a remaster', () => {
    expect(onlyUserDataDiffers(published, planned)).toBe(true);
  });

  test.each([
    ['the same user-data (up to date, or another difference)', { userDataSha256: 'u1' }],
    ['another commit', { commit: 'c2' }],
    ['another target', { target: '+iso-image' }],
    ['another .arg value', { arg: { A: '1', B: '3' } }],
    ['other files', { files: [] }],
  ])('%s is not', (_what, change) => {
    expect(onlyUserDataDiffers(published, { ...planned, ...change })).toBe(false);
  });
});
