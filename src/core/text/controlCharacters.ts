/**
 * Characters a value cannot carry into the files edgebuild writes: readers
 * disagree on them or refuse them. Go's yaml.v2 (yip, Kairos, K3s) rejects raw
 * DEL and C1 controls and reads U+0085, U+2028 and U+2029 as line breaks;
 * bash cannot hold NUL; godotenv and bash differ on line breaks and trim
 * other whitespace controls differently. Tab is the one control every reader
 * takes as it is. Pure.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

const NAMES: Record<string, string> = {
  '\0': 'NUL',
  '\n': 'a line break (LF)',
  '\r': 'a carriage return (CR)',
  '\u001b': 'ESC',
  '\u007f': 'DEL',
  '\u0085': 'NEL',
  '\u2028': 'LINE SEPARATOR',
  '\u2029': 'PARAGRAPH SEPARATOR',
  '\ufeff': 'a byte order mark',
};

/** A character named for a message: "U+007F (DEL)", "U+0001". */
export function characterName(char: string): string {
  const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return NAMES[char] ? `${code} (${NAMES[char]})` : code;
}

/** The first control character in the value, named for a message ("U+007F (DEL)"), or undefined. */
export function controlCharacterIn(value: string): string | undefined {
  const found = CONTROL.exec(value)?.[0];
  return found === undefined ? undefined : characterName(found);
}
