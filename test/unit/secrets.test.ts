import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { redact, secretPatterns } from '../../src/core/secrets.js';

const MULTI = '-----BEGIN TOKEN-----\n  line-two "quoted" \\ back\r\nab\nlast line: it\'s $HOME';

describe('redact', () => {
  test('hides every secret, longest first', () => {
    expect(redact('token=abc123 and abc and abc123x', ['abc', 'abc123'])).toBe('token=*** and *** and ***x');
    expect(redact('nothing', [''])).toBe('nothing');
  });

  test('a multi-line secret: the whole of it, and each line of 4 characters or more on its own', () => {
    const shown = `echo:\n${MULTI.replace(/\r/g, '')}\nagain: ${MULTI.split('\n')[1]}`;
    const out = redact(shown, [MULTI]);
    for (const line of ['-----BEGIN TOKEN-----', 'line-two "quoted" \\ back', "last line: it's $HOME"]) expect(out).not.toContain(line);
    // Two-character lines stay: masking every "ab" would hide the log, not the secret.
    expect(out).toContain('\nab\n');
  });

  test.each([
    ['JSON', (s: string) => JSON.stringify({ s })],
    ['JSON in JSON', (s: string) => JSON.stringify({ s: JSON.stringify({ s }) })],
    ['YAML double-quoted', (s: string) => `s: ${JSON.stringify(s)}`],
    ['YAML single-quoted', (s: string) => `s: '${s.replace(/'/g, "''")}'`],
  ])('masks the %s form of the secret and of each of its lines', (_name, show) => {
    const secret = 'pa"ss\\w\'rd';
    expect(redact(show(secret), [secret])).toBe(show('***'));
    for (const line of MULTI.split(/\r?\n/).filter((l) => l.trim().length >= 4)) {
      expect(redact(show(line), [MULTI])).toBe(show(line.replace(line.trim(), '***')));
    }
  });

  test('the YAML double-quoted form is what a YAML reader reads back as the secret', () => {
    const form = secretPatterns([MULTI]).find((p) => p.startsWith('-----BEGIN TOKEN-----\\n') && p.includes('\\r'))!;
    expect(parse(`"${form}"`)).toBe(MULTI);
  });
});
