import { describe, expect, test } from 'vitest';
import { expectInputError } from './inputErrors.js';
import { decodeUserText } from '../../src/core/text/bytes.js';

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('decodeUserText', () => {
  test.each([
    ['Latin-1 é (0xE9)', bytes('#cloud-config\nname: caf', [0xe9], '\n'), /^f\.yaml:2:10: not valid UTF-8 \(byte 0xE9\)$/],
    ['after multi-byte characters, the column counts characters', bytes('a: ééé', [0xff]), /^f\.yaml:1:7: not valid UTF-8 \(byte 0xFF\)$/],
    ['a truncated sequence at the end', bytes('a: ', [0xe2, 0x82]), /^f\.yaml:1:4: not valid UTF-8 \(byte 0xE2\)$/],
    ['an overlong form', bytes('a: ', [0xc0, 0xaf]), /^f\.yaml:1:4: not valid UTF-8 \(byte 0xC0\)$/],
    ['an encoded surrogate', bytes('a: ', [0xed, 0xa0, 0x80]), /^f\.yaml:1:4: not valid UTF-8 \(byte 0xED\)$/],
    ['NUL', bytes('#cloud-config\r\nx: a', [0], 'b\r\n'), /^f\.yaml:2:5: control character U\+0000 \(NUL\)$/],
    ['a C1 control (NEL, a line break to YAML 1.1 only)', bytes('x: a\u0085b\n'), /^f\.yaml:1:5: control character U\+0085 \(NEL\)$/],
    ['a C1 control (CSI)', bytes('x: \u009b\n'), /^f\.yaml:1:4: control character U\+009B$/],
    ['ESC', bytes('\n\nx: \u001b[0m\n'), /^f\.yaml:3:4: control character U\+001B \(ESC\)$/],
    ['DEL', bytes('x: \u007f\n'), /^f\.yaml:1:4: control character U\+007F \(DEL\)$/],
    ['U+2028', bytes('x: a\u2028b\n'), /^f\.yaml:1:5: control character U\+2028 \(LINE SEPARATOR\)$/],
  ])('%s: exit 2 at file:line:col', (_, input, message) => {
    expectInputError(() => decodeUserText(input, 'f.yaml'), message);
  });

  test('UTF-8 with tabs, CR, LF, a BOM, non-ASCII and astral characters is decoded as it is', () => {
    const text = '\uFEFF#cloud-config\r\na:\t"é 日本 😀"\nb: x\n';
    expect(decodeUserText(Buffer.from(text, 'utf8'), 'f.yaml')).toBe(text);
  });
});
