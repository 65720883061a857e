import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
// @ts-expect-error -- a plain .mjs asset of the build supervisor, without types
import { TerminalText, cleanTerminalText } from '../../assets/edgebuild-terminal-text.mjs';
import { takesProxyPath } from '../../src/core/build/proxyPath.js';

type Cleaner = { push(b: Buffer): Buffer; end(): Buffer };
const clean = cleanTerminalText as (s: string) => string;
const streamed = (chunks: string[]): string => {
  const t = new (TerminalText as new () => Cleaner)();
  return Buffer.concat([...chunks.map((c) => t.push(Buffer.from(c, 'utf8'))), t.end()]).toString('utf8');
};

describe('what a pseudo-terminal adds is kept out of the log', () => {
  test.each([
    ['line\r\n', 'line\n'],
    ['a\r\r\nb\r\n', 'a\nb\n'],
    ['10%\r50%\r100%\n', '10%\n50%\n100%\n'],
    ['\x1b[1;31mred\x1b[0m plain\n', 'red plain\n'],
    ['\x1b]0;title\x07text\n', 'text\n'],
    ['\x1b(B\x1b=x\x1b[?25l\x1b[2K\n', 'x\n'],
    ['bell\x07 back\bspace\ttab\n', 'bell backspace\ttab\n'],
    ['ünïcødé ✓\r\n', 'ünïcødé ✓\n'],
  ])('%j', (input, output) => {
    expect(clean(input)).toBe(output);
    expect(streamed([input])).toBe(output);
  });

  test('a sequence or \\r\\n split between chunks is cleaned as if whole', () => {
    expect(streamed(['a\r', '\nb\x1b[3', '1mc\x1b', '[0m\r', '\n'])).toBe('a\nbc\n');
  });

  test.each([
    [['\r\x1b', 'a\n'], '\n'], // fast-check seed -40938497: a \r before a held sequence was let out as a lone \r
    [['\r\x1b[0m', '\n'], '\n'], // a \r before a complete sequence, its \n in the next chunk
    [['\x1b\x1b', '[aa'], 'a'], // one pass: removing ESC [ a does not make ESC a a sequence
    [['\x1b]t', 'itle\x1b', '\\x\n'], 'x\n'], // an OSC ended by ESC \ across three chunks
  ])('split %j cleans as if whole: %j', (chunks, output) => {
    expect(clean(chunks.join(''))).toBe(output);
    expect(streamed(chunks)).toBe(output);
  });

  test('any split of any text gives what cleaning it whole gives', () => {
    const piece = fc.constantFrom('a', 'ü', '\r', '\n', '\x1b', '[', '3', '1', 'm', ']', '\x07', ';', '\t', '\\');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat(40)), (parts, cuts) => {
        const text = parts.join('');
        const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i, all) => text.slice(p, all[i + 1] ?? text.length));
        expect(streamed(chunks)).toBe(clean(text));
      }),
    );
  });
});

describe('takesProxyPath: when earthly.sh runs docker exec -it', () => {
  test.each([
    [{}, {}, [], false],
    [{ HTTPS_PROXY: 'http://p:3128' }, {}, [], true],
    [{}, { HTTP_PROXY: 'http://p:3128' }, [], true],
    [{ HTTP_PROXY: '' }, { HTTP_PROXY: 'http://p:3128' }, [], false],
    [{}, {}, ['.keep'], false],
    [{}, {}, ['corp-ca.crt'], true],
    [{}, {}, ['sub/.hidden', 'sub/ca.pem'], true],
  ] as const)('arg %j env %j certs %j → %s', (arg, env, certs, expected) => {
    expect(takesProxyPath(arg, env, certs)).toBe(expected);
  });
});
