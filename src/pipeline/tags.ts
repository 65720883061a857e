/**
 * `edgebuild tags`: the CanvOS tags of a repository, newest first, with the
 * PE_VERSION each tag's Earthfile pins.
 */
import { resolve } from 'node:path';
import { PE_VERSION_PATTERN, latestStable, readPeVersion, sortTags, type TagKind } from '../core/tags.js';
import { DEFAULT_REPO, displayUrl, ensureMirror, listTags, mirrorPath, normalizeRepo, type TagRef } from '../adapters/git.js';
import { grepAt, remoteTags } from '../adapters/gitRead.js';
import { defaultCacheDir } from '../adapters/cacheDir.js';
import { CommitGrepCache } from '../adapters/commitGrepCache.js';

export interface TagsInput {
  repo?: string;
  cacheDir?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** A fetch retried with backoff takes up to 22 s: say so instead of hanging silently. */
  onRetry: (attempt: number, error: string) => void;
  onWarning: (warning: string) => void;
}

export interface TagEntry {
  name: string;
  commit: string;
  peVersion: string | null;
  kind: TagKind;
  /** Not a stable release: never chosen as latest. */
  prerelease: boolean;
  latest: boolean;
}

export interface TagsReport {
  repo: string;
  latest: string | null;
  tags: TagEntry[];
}

/**
 * The tags and the PE_VERSION lines of their Earthfiles (on some tags it is
 * not the tag's name). On a cached mirror that holds every tag's commit: the
 * remote's tags now (`git ls-remote`), then one `git grep` by commit for the
 * commits the grep cache does not know (none, when the tags did not move:
 * one git process). Otherwise (no mirror yet, a commit it lacks, offline)
 * the mirror is fetched first and its tags listed, as always.
 */
async function tagsWithPins(repo: string, cacheDir: string, input: TagsInput): Promise<{ refs: TagRef[]; pinned: Map<string, readonly string[]> }> {
  const cached = mirrorPath(cacheDir, repo);
  const remote = await remoteTags(cached, repo, input.signal);
  const greps = await CommitGrepCache.load(cacheDir);
  const pinnedIn = async (mirror: string, refs: TagRef[]): Promise<Map<string, readonly string[]>> => {
    const commits = [...new Set(refs.map((r) => r.commit))];
    const unknown = commits.filter((c) => greps.get(PIN_QUERY, c) === undefined);
    if (unknown.length > 0) {
      // git grep fails on a commit the mirror lacks, so each one asked for was read: its lines, or none.
      const found = await grepAt(mirror, unknown, PIN_QUERY.pattern, PIN_QUERY.path);
      for (const c of unknown) greps.set(PIN_QUERY, c, found.get(c) ?? []);
      await greps.save();
    }
    return new Map(commits.map((c) => [c, greps.get(PIN_QUERY, c) ?? []]));
  };
  const pinned = remote && (await pinnedIn(cached, remote).catch(() => undefined));
  if (remote && pinned) return { refs: remote, pinned };
  const mirror = await ensureMirror(repo, cacheDir, { signal: input.signal, onRetry: (attempt, error) => input.onRetry(attempt, error), onWait: input.onWarning });
  mirror.warnings.forEach(input.onWarning);
  const refs = await listTags(mirror.path);
  return { refs, pinned: await pinnedIn(mirror.path, refs) };
}

/** Each tag's pinned version: the PE_VERSION lines of its Earthfile. */
const PIN_QUERY = { pattern: PE_VERSION_PATTERN, path: 'Earthfile' };

export async function listCanvosTags(input: TagsInput): Promise<TagsReport> {
  const repo = normalizeRepo(input.repo ?? DEFAULT_REPO, input.cwd);
  const cacheDir = resolve(input.cwd, input.cacheDir ?? defaultCacheDir(input.env));
  const { refs, pinned } = await tagsWithPins(repo, cacheDir, input);
  const commits = new Map(refs.map((r) => [r.name, r.commit]));
  const latest = latestStable(refs.map((r) => r.name)) ?? null;
  const tags = sortTags(refs.map((r) => r.name)).map((t): TagEntry => {
    const commit = commits.get(t.name) ?? '';
    return {
      name: t.name,
      commit,
      peVersion: readPeVersion((pinned.get(commit) ?? []).join('\n')) ?? null,
      kind: t.kind,
      prerelease: t.kind !== 'stable',
      latest: t.name === latest,
    };
  });
  return { repo: displayUrl(repo), latest, tags };
}
