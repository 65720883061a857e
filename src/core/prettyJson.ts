/**
 * `JSON.stringify(document, null, 2)` of a document with one long list, in pieces: the
 * text before the list, one piece per item, and the text after it. Same bytes as the
 * one-piece call, without ever holding the whole list or the whole text (50,000 sites'
 * results in `sites.json` and in `--json`). Pure.
 */
const INDENT = '  ';

export interface ListJson {
  /** The text up to the list's value. */
  readonly before: string;
  /** The item at `index`, with the separator before it. */
  item(value: unknown, index: number): string;
  /** The text after the last of `count` items, to the end of the document. */
  after(count: number): string;
}

/** `document` as JSON, its property `key` (a list) left to be written item by item. */
export function listJson(document: object, key: string): ListJson {
  // A string value cannot occur in the document's own text, so it marks the list's place.
  const marker = `\u0000${key}\u0000list`;
  const text = JSON.stringify({ ...document, [key]: marker }, null, 2);
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const outer = /^ */.exec(text.slice(lineStart))![0];
  const inner = outer + INDENT;
  return {
    before: text.slice(0, at),
    item: (value, index) => `${index === 0 ? '[' : ','}\n${inner}${JSON.stringify(value, null, 2).replaceAll('\n', `\n${inner}`)}`,
    after: (count) => `${count === 0 ? '[]' : `\n${outer}]`}${text.slice(at + quoted.length)}`,
  };
}
