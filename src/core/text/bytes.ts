/**
 * The bytes of a file the user wrote (user-data, build configs, sites tables
 * and templates, registries files) as text. They must be UTF-8 without
 * control characters: decoding with replacement characters would silently
 * change a value, and the edge host's YAML 1.1 reader refuses control
 * characters or reads them differently. A leading BOM is kept for the
 * parsers to handle as before. Pure.
 */
import { inputErrorAt } from '../../errors.js';
import { characterName } from './controlCharacters.js';

/** Offset of the lead byte of the first malformed UTF-8 sequence, if any. */
function invalidUtf8At(bytes: Uint8Array): number | undefined {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const more = lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (more < 0) return i;
    // The second byte's range rules out overlong forms, surrogates and code points above U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= more; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += more + 1;
  }
  return undefined;
}

/**
 * C0 controls but tab, LF and CR; DEL; C1 controls (NEL among them, a line
 * break to YAML 1.1 only); U+2028/U+2029 (line breaks to YAML 1.1 only); and
 * the non-characters U+FFFE/U+FFFF that YAML refuses.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/u;

/** 1-based line and column (in characters) of the end of `text`. */
function endPosition(text: string): { line: number; col: number } {
  const lines = text.split('\n');
  return { line: lines.length, col: [...lines.at(-1)!].length + 1 };
}

/** The file's text; exit 2 at file:line:col for bytes that are not UTF-8 or a forbidden control character. */
export function decodeUserText(bytes: Uint8Array, file: string): string {
  const bad = invalidUtf8At(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bad ?? bytes.byteLength).toString('utf8');
  // Whichever comes first is reported: a control character before the bad byte, or the bad byte.
  const found = FORBIDDEN.exec(text);
  if (found) {
    throw inputErrorAt({ file, ...endPosition(text.slice(0, found.index)) }, `control character ${characterName(found[0])}`, {
      code: 'file-control-character',
      fix: 'remove it; inside a double-quoted YAML string write it as an escape such as "\\t" or "\\x01"',
    });
  }
  if (bad !== undefined) {
    const byte = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    throw inputErrorAt({ file, ...endPosition(text) }, `not valid UTF-8 (byte 0x${byte})`, {
      code: 'file-encoding',
      fix: 'save the file as UTF-8, e.g. iconv -f latin1 -t utf-8',
    });
  }
  return text;
}
