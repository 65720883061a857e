import { describe, expect, test } from 'vitest';
import { MissingValueError, UnknownPlaceholderError, expand, hasPlaceholder, redact } from '../../src/core/placeholders.js';

const env = { A: 'alpha', B: 'b$b', EMPTY: '' } as Record<string, string | undefined>;
const site = { name: 'site-1' } as Record<string, string | undefined>;
const resolvers = { env: (n: string) => env[n], site: (n: string) => site[n] };

describe('expand', () => {
  test.each([
    ['plain', 'plain', []],
    ['${env:A}', 'alpha', ['alpha']],
    ['x-${env:A}-${site:name}', 'x-alpha-site-1', ['alpha']],
    ['$${env:A}', '${env:A}', []],
    ['$$${env:A}', '$${env:A}', []], // scanned left to right: a lone $, then the escape
    ['${env:B}', 'b$b', ['b$b']], // a value is never expanded again
    ['${env:EMPTY}', '', []],
    ['$ {env:A} ${', '$ {env:A} ${', []],
  ])('%s → %s', (text, out, secrets) => {
    const result = expand(text, resolvers);
    expect(result.text).toBe(out);
    expect(result.secrets).toEqual(secrets);
  });

  test('reports the names it used', () => {
    expect(expand('${site:name} ${env:A}', resolvers).used).toEqual([
      { namespace: 'site', name: 'name' },
      { namespace: 'env', name: 'A' },
    ]);
  });

  test.each([
    ['${env:NOPE}', MissingValueError],
    ['${vault:x}', UnknownPlaceholderError],
    ['${env:1bad}', UnknownPlaceholderError],
    ['${env:}', UnknownPlaceholderError],
  ])('%s throws %o', (text, type) => {
    expect(() => expand(text, resolvers)).toThrow(type);
  });

  test('hasPlaceholder ignores escapes', () => {
    expect(hasPlaceholder('a ${env:A}')).toBe(true);
    expect(hasPlaceholder('a $${env:A}')).toBe(false);
  });
});

test('redact hides every secret, longest first', () => {
  expect(redact('token=abc123 and abc and abc123x', ['abc', 'abc123'])).toBe('token=*** and *** and ***x');
  expect(redact('nothing', [''])).toBe('nothing');
});
