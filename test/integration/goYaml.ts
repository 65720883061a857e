/**
 * The YAML 1.1 oracle: test/fixtures/goyaml/main.go, built offline from
 * Debian's golang-gopkg-yaml.v2-dev, reads files with gopkg.in/yaml.v2 — the
 * reader Kairos and yip use on the edge host — and prints what each means as
 * canonical JSON (see main.go for the node forms). One Go process reads a
 * whole batch of files. In CI a missing Go or library is an error, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoReader, haveGoLibrary } from './goBuild.js';

const SOURCE = fileURLToPath(new URL('../fixtures/goyaml', import.meta.url));

export const haveGoYaml = haveGoLibrary('gopkg.in/yaml.v2');
if (!haveGoYaml && process.env.CI === 'true') throw new Error('CI needs golang-go and golang-gopkg-yaml.v2-dev (see .ci/run)');
if (!haveGoYaml) console.warn('skipping the Go yaml.v2 oracle: apt-get install golang-go golang-gopkg-yaml.v2-dev');

/** A canonical node as main.go prints it. */
export type Canon =
  | null
  | { bool: boolean; text?: string }
  | { int: string; text?: string }
  | { float: string; text?: string }
  | { str: string; time?: string }
  | { bytes: string }
  | { map: [Canon, Canon][] }
  | { seq: Canon[] };

/** yip's typed view of `stages` (Go field names). */
export interface YipView {
  Stages: Record<string, { Name: string; Files: { Path: string; Permissions: number; Owner: number; Group: number; Content: string }[] | null }[]> | null;
}

export interface Reading {
  file: string;
  docs?: Canon[];
  error?: string;
  yip?: YipView;
  yipError?: string;
}

export interface GoYaml {
  dir: string;
  /** Reads every file in one process. */
  read(paths: string[]): Reading[];
  /** Reads texts (written to temp files) in one process. */
  readTexts(texts: (string | Buffer)[]): Reading[];
  /** What each string means as a double-quoted YAML scalar (remembered: one Go process per batch of new strings). */
  strings(values: string[]): Canon[];
  dispose(): void;
}

export function buildGoYaml(): GoYaml {
  const dir = mkdtempSync(join(tmpdir(), 'edgebuild-goyaml-'));
  const bin = join(dir, 'goyaml');
  buildGoReader(SOURCE, bin, dir);
  let batch = 0;
  const meanings = new Map<string, Canon>();
  const run = (args: string[], input?: string): string =>
    execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...(input === undefined ? {} : { input }) });
  const read = (paths: string[]): Reading[] =>
    paths.length === 0
      ? []
      : run(paths)
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as Reading);
  return {
    dir,
    read,
    readTexts(texts) {
      batch++;
      const paths = texts.map((text, i) => {
        const path = join(dir, `b${batch}-${i}.yaml`);
        writeFileSync(path, text);
        return path;
      });
      return read(paths);
    },
    strings(values) {
      const missing = [...new Set(values.filter((v) => !meanings.has(v)))];
      if (missing.length > 0) (JSON.parse(run(['-strings'], JSON.stringify(missing))) as Canon[]).forEach((c, i) => meanings.set(missing[i]!, c));
      return values.map((v) => meanings.get(v)!);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const keyOf = (c: Canon): string => JSON.stringify(c);

/** Maps with their pairs in one order, so readings compare with toEqual. */
export function sortedCanon(c: Canon): Canon {
  if (c === null || typeof c !== 'object') return c;
  if ('map' in c) {
    const pairs = c.map.map(([k, v]) => [sortedCanon(k), sortedCanon(v)] as [Canon, Canon]);
    pairs.sort((a, b) => (keyOf(a[0]) < keyOf(b[0]) ? -1 : keyOf(a[0]) > keyOf(b[0]) ? 1 : 0));
    return { map: pairs };
  }
  if ('seq' in c) return { seq: c.seq.map(sortedCanon) };
  return c;
}

/** The value at a string key of a canonical map. */
export function mapGet(c: Canon, key: string): Canon | undefined {
  if (c === null || !('map' in c)) return undefined;
  return c.map.find(([k]) => k !== null && 'str' in k && k.str === key && !('time' in k))?.[1];
}

function label(key: Canon): string {
  return key !== null && 'str' in key && !('time' in key) && /^[\w-]+$/.test(key.str) ? key.str : JSON.stringify(key);
}

/** One `path: value` line per leaf, so a failed comparison shows the paths that differ. */
export function leaves(c: Canon, path = '', out: string[] = []): string[] {
  if (c !== null && 'map' in c) {
    if (c.map.length === 0) out.push(`${path}: {}`);
    for (const [k, v] of (sortedCanon(c) as { map: [Canon, Canon][] }).map) leaves(v, path ? `${path}.${label(k)}` : label(k), out);
  } else if (c !== null && 'seq' in c) {
    if (c.seq.length === 0) out.push(`${path}: []`);
    c.seq.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else {
    out.push(`${path}: ${JSON.stringify(c)}`);
  }
  return out;
}
