import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseRegistries } from '../../src/core/registries/parse.js';
import { InputError } from '../../src/errors.js';

/**
 * A corpus of broken registries files. The first line of each says what the
 * error must be: `# expect: <line>:<col> <code> <start of the message>`.
 */
const dir = new URL('../fixtures/registries-invalid/', import.meta.url);
const corpus = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('invalid registries files exit 2 with file:line:col and a fix', () => {
  test('the corpus is not empty', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10);
  });

  test.each(corpus)('%s', (name) => {
    const source = readFileSync(new URL(name, dir), 'utf8');
    const [, place, code, message] = /^# expect: (\d+:\d+) (\S+) (.*)$/m.exec(source)!;
    let error: unknown;
    try {
      parseRegistries(source, name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const e = error as InputError;
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe(code);
    expect(e.line).toContain(`${name}:${place}: ${message}`);
    expect(e.line).toMatch(/\. Fix: \S/);
    expect(e.line).not.toContain('\n');
  });
});

describe('valid files', () => {
  test('the shipped example parses', () => {
    const source = readFileSync(new URL('../../build-configs/registries.yaml', import.meta.url), 'utf8');
    const parsed = parseRegistries(source, 'build-configs/registries.yaml');
    expect(parsed.data.distribution).toBe('pxk-e');
  });

  test('an empty file parses to an empty object (generate then reports what is missing)', () => {
    expect(parseRegistries('', 'e.yaml').data).toEqual({});
  });
});
