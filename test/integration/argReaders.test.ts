/**
 * The .arg file is read by two real parsers: bash (`source .arg` in
 * earthly.sh) and godotenv (Earthly's own .arg reader). Every value edgebuild
 * accepts must read back identically through both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { checkArgs, renderArgFile, type ArgValues } from '../../src/core/argFile.js';
import { buildGoReader, haveGoLibrary } from './goBuild.js';
import { CONTROL } from './hostileValues.js';

const haveGodotenv = haveGoLibrary('github.com/joho/godotenv');
if (!haveGodotenv && process.env.CI === 'true') throw new Error('CI needs golang-go and golang-github-joho-godotenv-dev (see .ci/run)');
if (!haveGodotenv) console.warn('skipping godotenv tests: apt-get install golang-go golang-github-joho-godotenv-dev');

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-argread-'));
const reader = join(dir, 'godotenv-read');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readBoth(values: ArgValues): { bash: ArgValues; earthly: ArgValues } {
  const file = join(dir, '.arg');
  writeFileSync(file, renderArgFile(values));
  const keys = Object.keys(values);
  const out = execFileSync('bash', ['-c', `source .arg; ${keys.map((k) => `printf '%s\\0' "$${k}"`).join('; ')}`], { cwd: dir, encoding: 'utf8' });
  const bashValues = Object.fromEntries(out.split('\0').slice(0, -1).map((v, i) => [keys[i]!, v]));
  const earthly = JSON.parse(execFileSync(reader, [file], { encoding: 'utf8' })) as ArgValues;
  return { bash: bashValues, earthly };
}

describe.skipIf(!haveGodotenv)('bash and Earthly read the same .arg', () => {
  test('build the godotenv reader offline', () => {
    buildGoReader(join(process.cwd(), 'test/fixtures/godotenv'), reader, dir);
    expect(existsSync(reader)).toBe(true);
  });

  test.each([
    [{ CUSTOM_TAG: 'demo', IMAGE_REGISTRY: 'ttl.sh', ARCH: 'amd64', OS_VERSION: '22.04', EMPTY: '' }],
    [{ HTTP_PROXY: 'http://user:pa%40ss@proxy.example:3128', NO_PROXY: 'localhost,127.0.0.1,.svc,10.0.0.0/8' }],
    [{ A: 'a b', B: 'x #y', C: '~root', D: 'semi;colon', E: 'amp&&amp', F: 'pipe|x', G: '*glob?', H: 'tab\tin' }],
  ])('%j', (values) => {
    expect(checkArgs(values).errors).toEqual([]);
    const { bash, earthly } = readBoth(values);
    expect(bash).toEqual(values);
    expect(earthly).toEqual(values);
  });

  // Issue 11 item 8: a control character is refused with the key and the fix, or read back exactly by both.
  test.each(CONTROL.flatMap((c) => [`a${c}b`, c]))('a value with %j', (value) => {
    const values = { CUSTOM_TAG: value };
    const { errors } = checkArgs(values);
    if (errors.length > 0) {
      expect(errors[0]!.key).toBe('CUSTOM_TAG');
      expect(errors[0]!.message).toMatch(/^CUSTOM_TAG contains /);
      // eslint-disable-next-line no-control-regex -- the message must not carry the character itself
      expect(`${errors[0]!.message} ${errors[0]!.fix}`).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/);
      return;
    }
    const { bash, earthly } = readBoth(values);
    expect(bash).toEqual(values);
    expect(earthly).toEqual(values);
  });

  test('any value checkArgs accepts reads back the same in both', () => {
    const value = fc.string({ unit: fc.constantFrom(...'ab09 _-./:@%+,=#~;&|*?!()[]{}<>^\t'.split('')), maxLength: 16 });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('K1', 'K2', 'K3', 'K4'), value, { minKeys: 1 }), (values) => {
        fc.pre(checkArgs(values).errors.length === 0);
        const { bash, earthly } = readBoth(values);
        expect(bash).toEqual(values);
        expect(earthly).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });
});
