/** The little TOML writing edgebuild needs: basic strings and string arrays. Pure. */

/**
 * A TOML basic string. JSON escapes `"`, `\` and control characters in a form
 * TOML accepts (\uXXXX, \n, ...); TOML also forbids a raw DEL.
 */
export function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

export function tomlStrings(values: readonly string[]): string {
  return `[${values.map(tomlString).join(', ')}]`;
}
