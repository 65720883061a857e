/**
 * A diff of meaning between two user-data documents: which key paths were
 * added, removed or changed, never the values (they may be secrets). Pure.
 */
import { parse } from 'yaml';

export interface MeaningDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaves by dotted key path; lists are compared whole (their order is meaning). */
function leaves(value: unknown, prefix: string, out: Map<string, string>): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix || '(root)', JSON.stringify(value ?? null));
}

/**
 * `before` is the user-data found in the ISO, which may not even parse: then
 * every key of `after` counts as added and `unreadable` says why.
 */
export function diffUserData(before: string, after: string): MeaningDiff & { unreadable?: string } {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  let unreadable: string | undefined;
  try {
    leaves(parse(before, { maxAliasCount: 1000 }), '', a);
  } catch (error) {
    unreadable = (error as Error).message.split('\n')[0];
    a.clear();
  }
  leaves(parse(after, { maxAliasCount: 1000 }), '', b);
  const added = [...b.keys()].filter((k) => !a.has(k));
  const removed = [...a.keys()].filter((k) => !b.has(k));
  const changed = [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k));
  return { added, removed, changed, ...(unreadable === undefined ? {} : { unreadable }) };
}

/** Lines like `~ stylus.site.paletteEndpoint` for the plan. */
export function formatMeaningDiff(diff: MeaningDiff): string[] {
  return [...diff.changed.map((k) => `~ ${k}`), ...diff.added.map((k) => `+ ${k}`), ...diff.removed.map((k) => `- ${k}`)];
}
