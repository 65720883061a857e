import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseBuildConfig } from '../../src/core/buildConfig.js';
import { InputError } from '../../src/errors.js';

describe('parseBuildConfig', () => {
  test('the shipped example is valid and keeps OS_VERSION as written', () => {
    const config = parseBuildConfig(readFileSync('build-configs/default.yaml', 'utf8'), 'build-configs/default.yaml');
    expect(config.canvos?.tag).toBe('v4.5.15');
    expect(config.arg?.OS_VERSION).toBe('22.04');
    expect(config.preflight).toEqual({ minCpus: 4, minMemoryGB: 8, minDiskGB: 150 });
  });

  test('numbers keep their source text, booleans become words', () => {
    const config = parseBuildConfig('arg:\n  OS_VERSION: 22.10\n  UPDATE_KERNEL: true\n  K8S_VERSION: 1.30\n', 'c.yaml');
    expect(config.arg).toEqual({ OS_VERSION: '22.10', UPDATE_KERNEL: 'true', K8S_VERSION: '1.30' });
  });

  test('an empty file is an empty config', () => {
    expect(parseBuildConfig('# nothing yet\n', 'c.yaml')).toEqual({});
  });

  test.each([
    ['canvos:\n  tagg: v1\n', 'c.yaml:2:3: unknown key "tagg" in canvos'],
    ['arg:\n  ARCH: x86\n', 'c.yaml:2:9: arg.ARCH must be one of amd64, arm64'],
    ['preflight:\n  minCpus: four\n', 'c.yaml:2:12: preflight.minCpus must be an integer'],
    ['target: iso\n', 'c.yaml:1:9: target has an invalid format'],
    ['files:\n  - from: a\n', 'c.yaml:2:3: files[0] is missing "to"'],
    ['canvos: [1]\n', 'c.yaml:1:9: canvos must be a mapping'],
    ['a: 1\na: 2\n', 'c.yaml:2:1: duplicate key: Map keys must be unique'],
    ['canvos:\n  tag: [\n', 'c.yaml:3:1: invalid YAML'],
    ['- 1\n', 'c.yaml:1:1: the file must be a mapping'],
  ])('%j → %s', (source, message) => {
    const run = () => parseBuildConfig(source, 'c.yaml');
    expect(run).toThrow(InputError);
    try {
      run();
    } catch (error) {
      expect((error as InputError).message.startsWith(message)).toBe(true);
      expect((error as InputError).fix).toBeTruthy();
      expect((error as InputError).line).not.toContain('\n');
    }
  });
});

describe('files[].to', () => {
  const config = (to: string) => `files:\n  - from: certs\n    to: ${JSON.stringify(to)}\n`;

  test.each([
    ['certs', 'certs'],
    ['./overlay/files/etc/', 'overlay/files/etc'],
    ['builder', 'builder'],
    ['user-data.d/extra.yaml', 'user-data.d/extra.yaml'],
    ['.github', '.github'],
  ])('%s is a place in the checkout (%s)', (to, clean) => {
    expect(parseBuildConfig(config(to), 'c.yaml').files).toEqual([{ from: 'certs', to: clean }]);
  });

  test.each([
    ['user-data', 'is written by edgebuild itself'],
    ['user-data/', 'is written by edgebuild itself'],
    ['./user-data', 'is written by edgebuild itself'],
    ['user-data/x.yaml', 'is written by edgebuild itself'],
    ['.arg', 'is written by edgebuild itself'],
    ['build/../.arg', 'is written by edgebuild itself'],
    ['.git', 'is written by edgebuild itself'],
    ['.git/', 'is written by edgebuild itself'],
    ['.git/config', 'is written by edgebuild itself'],
    ['build', 'is where the build writes the ISO'],
    ['build/', 'is where the build writes the ISO'],
    ['build/installer.iso', 'is where the build writes the ISO'],
    ['x/../build/y', 'is where the build writes the ISO'],
    ['..', 'is outside the CanvOS checkout'],
    ['.', 'is outside the CanvOS checkout'],
    ['./', 'is outside the CanvOS checkout'],
    ['a/../../b', 'is outside the CanvOS checkout'],
    ['/etc/passwd', 'is outside the CanvOS checkout'],
  ])('%s is refused at file:line:col: %s', (to, why) => {
    expect(() => parseBuildConfig(config(to), 'c.yaml')).toThrow(`c.yaml:3:9: files[0].to ${JSON.stringify(to)} ${why}`);
  });
});

test('--target is checked with the schema\'s own target pattern', async () => {
  const { TARGET_PATTERN } = await import('../../src/core/plan.js');
  const schema = JSON.parse(readFileSync('build-configs/build-config.schema.json', 'utf8')) as { properties: { target: { pattern: string } } };
  expect(TARGET_PATTERN.source).toBe(schema.properties.target.pattern);
});
