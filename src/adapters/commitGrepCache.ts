/**
 * What a `git grep` found in a file at a commit, remembered in the cache
 * dir: a commit's files never change (the commit id is the hash of its
 * tree), so `edgebuild tags` asks the remote for its tags (`git ls-remote`)
 * and runs `git grep` only for commits it has not seen. The cache only ever
 * saves work: a missing or corrupt file, or an entry of the wrong shape, is
 * a miss, and failing to write it is not an error. It is as trusted as the
 * mirrors beside it in the same directory, which hold the same files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from './files.js';

export const COMMIT_GREP_CACHE_FILE = 'commit-greps.json';
/** Commits kept per query, the most recently stored last; older ones are grepped again when next needed. */
const MAX_COMMITS = 10_000;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

type Found = Map<string, readonly string[]>;

function parse(text: string): Map<string, Found> {
  const queries = new Map<string, Found>();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return queries;
  }
  const { version, queries: stored } = (typeof data === 'object' && data !== null ? data : {}) as { version?: unknown; queries?: unknown };
  if (version !== 1 || typeof stored !== 'object' || stored === null) return queries;
  for (const [query, commits] of Object.entries(stored)) {
    if (typeof commits !== 'object' || commits === null) continue;
    const found: Found = new Map();
    for (const [commit, lines] of Object.entries(commits)) {
      if (COMMIT.test(commit) && Array.isArray(lines) && lines.every((l) => typeof l === 'string')) found.set(commit, lines as string[]);
    }
    queries.set(query, found);
  }
  return queries;
}

export class CommitGrepCache {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly queries: Map<string, Found>,
  ) {}

  /** The cache in `dir` (the cache directory). */
  static async load(dir: string): Promise<CommitGrepCache> {
    const file = join(dir, COMMIT_GREP_CACHE_FILE);
    return new CommitGrepCache(file, parse(await readFile(file, 'utf8').catch(() => '')));
  }

  /** The lines `git grep -E <pattern> <commit> -- <path>` printed for `commit` (none: []), or undefined when not known. */
  get(query: { pattern: string; path: string }, commit: string): readonly string[] | undefined {
    return this.queries.get(keyOf(query))?.get(commit);
  }

  /** Remembers a grep's result at `commit`: call only for commits the grep covered (it failed on none of them). */
  set(query: { pattern: string; path: string }, commit: string, lines: readonly string[]): void {
    if (!COMMIT.test(commit)) return;
    const key = keyOf(query);
    const found = this.queries.get(key) ?? new Map<string, readonly string[]>();
    found.delete(commit);
    found.set(commit, [...lines]);
    for (const oldest of found.keys()) {
      if (found.size <= MAX_COMMITS) break;
      found.delete(oldest);
    }
    this.queries.set(key, found);
    this.changed = true;
  }

  /** Writes the cache when something was added; never fails the caller. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const queries = Object.fromEntries([...this.queries].map(([query, found]) => [query, Object.fromEntries(found)]));
    await atomicWriteFile(this.file, `${JSON.stringify({ version: 1, queries })}\n`, 0o600).catch(() => undefined);
    this.changed = false;
  }
}

const keyOf = (query: { pattern: string; path: string }): string => `${query.path}\n${query.pattern}`;
