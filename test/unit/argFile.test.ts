import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkArgs, parseArgFlag, quoteArgValue, renderArgFile } from '../../src/core/argFile.js';

describe('checkArgs', () => {
  test.each([
    [{ ARCH: 'amd64' }, [], []],
    [{ ARCH: 'x86_64' }, ['ARCH=x86_64 is not one of amd64, arm64'], []],
    [{ K8S_DISTRIBUTION: 'kubeadm-fips' }, [], []],
    // Checked against the tag's k8s_version.json once the tag is known (tagRules.test.ts).
    [{ K8S_DISTRIBUTION: 'k8s' }, [], []],
    [{ UPDATE_KERNEL: 'yes' }, ['UPDATE_KERNEL=yes is not a boolean'], []],
    [{ CIS_HARDENING: 'false' }, [], []],
    [{ CUSTOM_TAG: 'a b' }, [], []], // single-quoted
    [{ CUSTOM_TAG: 'a\nb' }, ['CUSTOM_TAG contains a newline, which bash and Earthly cannot both read from .arg'], []],
    [{ CUSTOM_TAG: '$(reboot)' }, ['CUSTOM_TAG contains "$", which bash and Earthly cannot both read from .arg'], []],
    [{ CUSTOM_TAG: '`id`' }, ['CUSTOM_TAG contains "`", which bash and Earthly cannot both read from .arg'], []],
    [{ CUSTOM_TAG: "it's" }, ['CUSTOM_TAG contains a single quote, which bash and Earthly cannot both read from .arg'], []],
    [{ CUSTOM_TAG: 'say "hi"' }, ['CUSTOM_TAG contains a double quote, which bash and Earthly cannot both read from .arg'], []],
    [{ CUSTOM_TAG: 'a\\b' }, ['CUSTOM_TAG contains "\\", which bash and Earthly cannot both read from .arg'], []],
    [{ MY_KEY: 'x' }, [], ['MY_KEY is not a .arg key edgebuild knows; it is passed through unchanged']],
    [{ '1BAD': 'x' }, ['"1BAD" is not a valid .arg key'], []],
    [{ ISO_NAME: 'edge-v1.2_lab' }, [], []],
    [{ ISO_NAME: '.hidden' }, [], []],
  ])('%j', (values, errors, warnings) => {
    const result = checkArgs(values);
    expect(result.errors.map((e) => e.message)).toEqual(errors);
    expect(result.warnings.map((w) => w.message)).toEqual(warnings);
  });
});

test.each(['../../escaped', 'a/b', '/tmp/x', '.', '..', '', 'a b', 'ñ'])('ISO_NAME=%j is not a plain file name', (name) => {
  expect(checkArgs({ ISO_NAME: name }).errors.map((e) => e.message)).toEqual([`ISO_NAME=${name} is not a plain file name`]);
});

describe('quoteArgValue', () => {
  test.each([
    ['ttl.sh', 'ttl.sh'],
    ['', ''],
    ['http://u:p@proxy:3128', 'http://u:p@proxy:3128'],
    ['localhost,127.0.0.1,.svc', 'localhost,127.0.0.1,.svc'],
    ['a b', "'a b'"],
    ['a #b', "'a #b'"],
    ['~/x', "'~/x'"],
  ])('%j → %s', (value, written) => {
    expect(quoteArgValue(value)).toBe(written);
  });
});

test('parseArgFlag', () => {
  expect(parseArgFlag('A=b=c')).toEqual(['A', 'b=c']);
  expect(parseArgFlag('A=')).toEqual(['A', '']);
  expect(parseArgFlag('=x')).toBeUndefined();
  expect(parseArgFlag('A')).toBeUndefined();
});

// The real reader on one side: bash's `source .arg`, as earthly.sh does.
test('bash reads back exactly the values rendered', () => {
  const values = { CUSTOM_TAG: 'a b', HTTP_PROXY: 'http://u:p@proxy:3128', NO_PROXY: 'localhost,.svc', EMPTY: '', HASH: 'x #y', TILDE: '~root', SEMI: 'a;b', AMP: 'a&&b' };
  const dir = mkdtempSync(join(tmpdir(), 'edgebuild-arg-'));
  try {
    writeFileSync(join(dir, '.arg'), renderArgFile(values));
    const script = `set -eu; source .arg; ${Object.keys(values).map((k) => `printf '%s\\0' "$${k}"`).join('; ')}`;
    const out = execFileSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(Object.values(values));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
