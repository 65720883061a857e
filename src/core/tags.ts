/**
 * CanvOS tag names: parsing, ordering, `latest`, and suggestions for a tag
 * that does not exist. Pure.
 */

export type TagKind = 'stable' | 'prerelease' | 'other';

export interface TagInfo {
  name: string;
  kind: TagKind;
  /** [major, minor, patch]; absent for names that do not start with a version. */
  version?: [number, number, number];
  /** Pre-release identifiers (`rc.1` → ['rc', 1]); suffix text for odd names. */
  pre: (string | number)[];
}

const STABLE = /^v?(\d+)\.(\d+)\.(\d+)$/;
const PRERELEASE = /^v?(\d+)\.(\d+)\.(\d+)-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)$/;
const LOOSE = /^v?(\d+)\.(\d+)(?:\.(\d+))?(.*)$/;

function identifiers(text: string): (string | number)[] {
  return text
    .split(/[.-]/)
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function parseTag(name: string): TagInfo {
  let m = STABLE.exec(name);
  if (m) return { name, kind: 'stable', version: [Number(m[1]), Number(m[2]), Number(m[3])], pre: [] };
  m = PRERELEASE.exec(name);
  if (m) return { name, kind: 'prerelease', version: [Number(m[1]), Number(m[2]), Number(m[3])], pre: identifiers(m[4]!) };
  // Odd names such as v4.8.a: ordered by their numeric part, never "latest".
  m = LOOSE.exec(name);
  if (m) return { name, kind: 'other', version: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], pre: identifiers(m[4]!) };
  return { name, kind: 'other', pre: [] };
}

function compareIdentifiers(a: (string | number)[], b: (string | number)[]): number {
  // Semver: a version without identifiers ranks above one with them.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Ascending order: semver precedence; names without a version sort first, by name. */
export function compareTags(a: TagInfo, b: TagInfo): number {
  if (!a.version || !b.version) {
    if (a.version) return 1;
    if (b.version) return -1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }
  for (let i = 0; i < 3; i++) {
    const d = a.version[i]! - b.version[i]!;
    if (d !== 0) return d;
  }
  return compareIdentifiers(a.pre, b.pre) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Newest first. */
export function sortTags(names: readonly string[]): TagInfo[] {
  return names.map(parseTag).sort((a, b) => compareTags(b, a));
}

/** The highest stable semver tag, or undefined when there is none. */
export function latestStable(names: readonly string[]): string | undefined {
  return sortTags(names).find((t) => t.kind === 'stable')?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The existing tags nearest to a tag that does not exist: on the same
 * major.minor line the closest patch releases, otherwise the closest names.
 */
export function suggestTags(wanted: string, names: readonly string[], count = 3): string[] {
  // `v4.6` names a release line, not a release: its newest patches are what the user is after.
  const line = /^v?(\d+)\.(\d+)$/.exec(wanted);
  if (line) {
    const onLine = names.map(parseTag).filter((t) => t.kind === 'stable' && t.version?.[0] === Number(line[1]) && t.version[1] === Number(line[2]));
    if (onLine.length) return onLine.sort((a, b) => compareTags(b, a)).slice(0, count).map((t) => t.name);
  }
  const target = parseTag(wanted.startsWith('v') ? wanted : `v${wanted}`);
  const score = (t: TagInfo): number => {
    if (target.version && t.version && t.version[0] === target.version[0] && t.version[1] === target.version[1]) {
      // Same release line: stable releases first, nearest patch number first.
      return Math.abs(t.version[2] - target.version[2]) + (t.kind === 'stable' ? 0 : 500);
    }
    return 1000 + editDistance(t.name, target.name);
  };
  return names
    .map(parseTag)
    .sort((a, b) => score(a) - score(b) || compareTags(b, a))
    .slice(0, count)
    .map((t) => t.name);
}

/** An extended regex for the lines readPeVersion reads (to find them with git grep). */
export const PE_VERSION_PATTERN = '^[[:space:]]*ARG[[:space:]]+(--global[[:space:]]+)?PE_VERSION[[:space:]]*=';

/** `ARG PE_VERSION=v4.5.15` in the tag's Earthfile (first global declaration). */
export function readPeVersion(earthfile: string): string | undefined {
  const m = /^\s*ARG\s+(?:--global\s+)?PE_VERSION\s*=\s*"?([^"\s]+)"?\s*$/m.exec(earthfile);
  return m?.[1];
}
