import { describe, expect, test } from 'vitest';
import { sha256 } from '../../src/core/digest.js';
import { checkIso, checkRun, failureSummary, userDataIsoPath, type IsoFacts } from '../../src/core/verify.js';

const USER_DATA = Buffer.from('#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n');
const ISO_SHA = 'a'.repeat(64);

const good: IsoFacts = {
  isoShown: 'build/installer.iso',
  isoName: 'installer',
  iso: { size: 2048, sha256: ISO_SHA },
  checksumText: `${ISO_SHA}  installer.iso\n`,
  checksumRequired: true,
  embeddedPath: 'files-iso/config.yaml',
  embedded: USER_DATA,
  expectedUserData: { bytes: USER_DATA },
  keepWebhook: false,
};

const failed = (facts: Partial<IsoFacts>): string[] =>
  checkIso({ ...good, ...facts })
    .filter((c) => !c.ok)
    .map((c) => c.id);

describe('checkIso', () => {
  test('a good build passes every check', () => {
    expect(failed({})).toEqual([]);
    expect(checkIso(good).map((c) => c.id)).toEqual(['iso-exists', 'checksum', 'user-data', 'webhook-off']);
  });

  const aliasedOff = Buffer.from('#cloud-config\ns: &s {imageRedirectWebhook: {enable: false}}\nstylus: *s\n');
  const webhookOn = Buffer.from('#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: true\n');
  test.each<[string, Partial<IsoFacts>, string[]]>([
    ['no ISO', { iso: undefined }, ['iso-missing']],
    ['no .sha256', { checksumText: undefined }, ['checksum-missing']],
    ['no .sha256 on a UKI build', { checksumText: undefined, checksumRequired: false }, []],
    ['a .sha256 that is not sha256sum output', { checksumText: 'nope\n' }, ['checksum-unreadable']],
    ['a checksum of other bytes', { checksumText: `${'b'.repeat(64)}  installer.iso\n` }, ['checksum-mismatch']],
    ['a checksum naming another file among several', { checksumText: `${ISO_SHA}  other.iso\n${ISO_SHA}  more.iso\n` }, ['checksum-unreadable']],
    ['no user-data in the ISO', { embedded: undefined }, ['user-data-missing']],
    ['an unreadable ISO', { embedded: { error: 'corrupt' } }, ['iso-unreadable']],
    ['other user-data', { embedded: Buffer.from(`${USER_DATA.toString()}# edited\n`) }, ['user-data-differs']],
    ['the webhook on, not kept', { embedded: webhookOn, expectedUserData: { bytes: webhookOn } }, ['webhook-enabled']],
    ['the webhook on, kept on purpose', { embedded: webhookOn, expectedUserData: { bytes: webhookOn }, keepWebhook: true }, []],
    ['the webhook absent (the agent defaults to on)', { embedded: Buffer.from('#cloud-config\nstylus: {}\n'), expectedUserData: { bytes: Buffer.from('#cloud-config\nstylus: {}\n') } }, ['webhook-enabled']],
    ['the webhook off through an alias, as the edge host reads it', { embedded: aliasedOff, expectedUserData: { bytes: aliasedOff } }, []],
    ['user-data matched by sha256 (from a manifest)', { expectedUserData: { sha256: sha256(USER_DATA) } }, []],
    ['user-data not matching the manifest sha256', { expectedUserData: { sha256: 'c'.repeat(64) } }, ['user-data-differs']],
  ])('%s', (_what, facts, ids) => {
    expect(failed(facts)).toEqual(ids);
  });
});

describe('checkRun and failureSummary', () => {
  test.each([
    [{ exitCode: 0, signal: undefined, printedError: false }, true, 'earthly.sh exited 0'],
    [{ exitCode: 2, signal: undefined, printedError: true }, false, 'earthly.sh exited with status 2'],
    [{ exitCode: undefined, signal: 'SIGKILL', printedError: false }, false, 'earthly.sh was killed by SIGKILL'],
    [{ exitCode: undefined, signal: undefined, printedError: false }, false, 'earthly.sh could not be run'],
  ])('%j', (run, ok, message) => {
    expect(checkRun(run)).toEqual({ id: 'exit-status', ok, message });
  });

  test('a lying exit status is named in the summary', () => {
    const checks = checkIso({ ...good, iso: undefined });
    expect(failureSummary(checks, { exitCode: 0, signal: undefined, printedError: true })).toBe('build/installer.iso does not exist — earthly.sh exited 0 but printed "An error occurred"');
    expect(failureSummary(checks)).toBe('build/installer.iso does not exist');
    expect(failureSummary(checkIso(good))).toBeUndefined();
  });

  test('the broken CanvOS error check is named too', () => {
    const checks = checkIso({ ...good, iso: undefined });
    expect(failureSummary(checks, { exitCode: 0, signal: undefined, printedError: false, brokenErrorCheck: true })).toMatch(/exited 0 although its Earthly run failed/);
  });

  test('several failures: the first, then the others by id', () => {
    expect(failureSummary(checkIso({ ...good, checksumText: undefined, embedded: undefined }))).toBe('build/installer.iso.sha256 does not exist (and 1 more: user-data-missing)');
  });

  test.each([
    [false, 'files-iso/config.yaml'],
    [true, 'config.yaml'],
  ])('user-data in the ISO (UKI %s) at %s', (uki, path) => {
    expect(userDataIsoPath(uki)).toBe(path);
  });
});
