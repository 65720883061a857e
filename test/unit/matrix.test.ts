import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildMatrix, declaredSchema, selectBuildConfigs, stem } from '../../src/core/matrix.js';

describe('declaredSchema', () => {
  test.each([
    ['no schema', 'name: lab\n', undefined],
    ['modeline', '# yaml-language-server: $schema=./registries.schema.json\ndistribution: k3s\n', './registries.schema.json'],
    ['modeline with spaces', '#  yaml-language-server:  $schema=https://x.test/build-config.schema.json\n', 'https://x.test/build-config.schema.json'],
    ['top-level key', '$schema: ./build-config.schema.json\nname: a\n', './build-config.schema.json'],
    ['quoted key', '$schema: "./registries.schema.json" # comment\n', './registries.schema.json'],
    ['single-quoted key', "$schema: 'r.schema.json'\n", 'r.schema.json'],
    ['nested key is not top-level', 'arg:\n  $schema: x.json\n', undefined],
    ['modeline wins over key', '# yaml-language-server: $schema=a.json\n$schema: b.json\n', 'a.json'],
  ])('%s', (_name, source, expected) => {
    expect(declaredSchema(source)).toBe(expected);
  });
});

test.each([
  ['build-configs/lab.yaml', 'lab'],
  ['lab.yml', 'lab'],
  ['a/b/edge.site.YAML', 'edge.site'],
  ['C:\\configs\\win.yaml', 'win'],
])('stem(%s) = %s', (file, expected) => {
  expect(stem(file)).toBe(expected);
});

describe('selectBuildConfigs', () => {
  const file = (name: string, source = 'canvos:\n  tag: v4.5.15\n') => ({ file: `build-configs/${name}`, source });

  test.each([
    ['plain YAML is a build config', [file('lab.yaml')], ['lab.yaml'], ['build-configs/lab.yaml'], []],
    [
      'a file with its own schema beside it is skipped',
      [file('lab.yaml'), file('registries.yaml', 'distribution: k3s\n')],
      ['lab.yaml', 'registries.yaml', 'registries.schema.json', 'build-config.schema.json'],
      ['build-configs/lab.yaml'],
      ['build-configs/registries.yaml'],
    ],
    [
      'a file declaring another schema is skipped',
      [file('mirrors.yaml', '# yaml-language-server: $schema=./registries.schema.json\n')],
      ['mirrors.yaml'],
      [],
      ['build-configs/mirrors.yaml'],
    ],
    [
      'a file declaring the build schema is kept even with a schema named after it',
      [file('x.yaml', '$schema: ./build-config.schema.json\n')],
      ['x.yaml', 'x.schema.json'],
      ['build-configs/x.yaml'],
      [],
    ],
    ['build-config.yaml is not skipped by the build schema beside it', [file('build-config.yaml')], ['build-config.yaml', 'build-config.schema.json'], ['build-configs/build-config.yaml'], []],
    ['an invalid-looking file without a schema is still a build config', [file('typo.yaml', 'nmae: x\n')], ['typo.yaml'], ['build-configs/typo.yaml'], []],
  ])('%s', (_name, files, siblings, kept, skipped) => {
    const selection = selectBuildConfigs(files, siblings);
    expect(selection.configs.map((c) => c.file)).toEqual(kept);
    expect(selection.skipped.map((s) => s.file)).toEqual(skipped);
  });
});

describe('buildMatrix', () => {
  test('one entry per config, name from the config or the file, default target', () => {
    expect(
      buildMatrix([
        { file: 'build-configs/lab.yaml', config: { canvos: { tag: 'v4.5.15' } } },
        { file: 'build-configs\\edge.yaml', config: { name: 'edge-rke2', canvos: { tag: 'latest' }, target: '+iso-image' } },
      ]),
    ).toEqual({
      include: [
        { config: 'build-configs/lab.yaml', name: 'lab', tag: 'v4.5.15', target: '+iso' },
        { config: 'build-configs/edge.yaml', name: 'edge-rke2', tag: 'latest', target: '+iso-image' },
      ],
    });
  });

  test.each([
    ['no configs', [], 'matrix-empty', /no build configs/],
    ['missing tag', [{ file: 'b/a.yaml', config: {} }], 'matrix-no-tag', /^b\/a\.yaml: canvos\.tag is not set/],
    [
      'duplicate names',
      [
        { file: 'b/a.yaml', config: { canvos: { tag: 'v1' } } },
        { file: 'b/c.yaml', config: { name: 'a', canvos: { tag: 'v1' } } },
      ],
      'matrix-duplicate',
      /^b\/c\.yaml: the build name "a" is also used by b\/a\.yaml/,
    ],
    ['unusable file name', [{ file: 'b/my lab.yaml', config: { canvos: { tag: 'v1' } } }], 'matrix-name', /"my lab"/],
  ])('%s is exit 2 naming the file', (_name, configs, code, message) => {
    let thrown: unknown;
    try {
      buildMatrix(configs);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).code).toBe(code);
    expect((thrown as InputError).exitCode).toBe(2);
    expect((thrown as InputError).message).toMatch(message);
  });
});
