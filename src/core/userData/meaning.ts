/**
 * What a YAML file means to the edge host's reader (YAML 1.1: `0644` is 420,
 * `yes` is true, `<<` merges), to check that an edit to the text changed
 * exactly what it meant to. Read with the yaml package's YAML 1.1 schema. Pure.
 */
import { parseDocument } from 'yaml';
import type { Document } from 'yaml';

/** In an expected tree: any value is fine here (a tagged substitution decides its own type). */
export const ANY: unique symbol = Symbol('any value');

/** The file as a YAML 1.1 document, or undefined when it does not read as one. */
export function yaml11Document(text: string): Document.Parsed | undefined {
  // logLevel error: a date or collection as a key is stringified for this check, without a warning on the user's terminal.
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, logLevel: 'error' });
  return doc.errors.length > 0 ? undefined : doc;
}

/** The document's data, or undefined when it cannot be built (e.g. an alias bomb). */
export function yaml11Data(doc: Document | undefined): unknown {
  if (!doc) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
}

/** A copy sharing nothing with the original, so setting one path changes only that path (aliases share objects). */
export function unshared(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unshared);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, unshared(v)]));
  if (value instanceof Set) return new Set([...value].map(unshared));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unshared(v)]));
  }
  return value;
}

/** Sets `path` in an unshared tree, creating objects on the way. */
export function setPath(tree: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = tree;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at = at[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  at[path.at(-1)!] = value;
}

/** Deep equality of read YAML data; ANY in `expected` matches anything. */
export function sameData(expected: unknown, actual: unknown): boolean {
  if (expected === ANY) return true;
  if (Object.is(expected, actual)) return true;
  if (expected instanceof Date) return actual instanceof Date && expected.getTime() === actual.getTime();
  if (expected instanceof Uint8Array) return actual instanceof Uint8Array && Buffer.from(expected).equals(Buffer.from(actual));
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => sameData(e, actual[i]));
  if (expected instanceof Map || expected instanceof Set) {
    if (!(actual instanceof Map || actual instanceof Set) || expected.size !== actual.size) return false;
    const a = [...actual.entries()];
    return [...expected.entries()].every(([k, v], i) => sameData(k, a[i]![0]) && sameData(v, a[i]![1]));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const e = Object.keys(expected);
    const a = Object.keys(actual);
    return e.length === a.length && e.every((k) => Object.hasOwn(actual, k) && sameData((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k]));
  }
  return false;
}
