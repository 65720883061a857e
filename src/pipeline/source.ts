/**
 * Step 2: resolve the source: the cached mirror, the tag (exact or
 * "latest"), its commit, the PE_VERSION its Earthfile pins and the other
 * files of the tag edgebuild reads (its rules: k8s_version.json, earthly.sh).
 */
import { resolve } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { latestStable, readPeVersion, suggestTags } from '../core/tags.js';
import { damagedMirror, displayUrl, ensureMirror, listTags, mirrorPath, type GitOptions, type TagRef } from '../adapters/git.js';
import { readAt, remoteTags } from '../adapters/gitRead.js';

/** The files of a tag edgebuild reads, read once at resolve time. */
export const TAG_FILES = ['Earthfile', 'k8s_version.json', 'earthly.sh'] as const;
export type TagFiles = ReadonlyMap<string, string | undefined>;

export interface Source {
  mirror: string;
  tag: string;
  commit: string;
  peVersion: string | undefined;
  /** TAG_FILES at the commit; undefined for one the tag does not have. */
  files: TagFiles;
  /**
   * Whether this run fetched the mirror. A rerun learns the tag's commit from
   * the remote (`git ls-remote`) and reads the files from a mirror that already
   * holds that commit, without fetching; a checkout needs the mirror's refs
   * current (mirroredSource).
   */
  fetched: boolean;
  warnings: string[];
}

function pickTag(repo: string, wanted: string, tags: readonly TagRef[], offline: boolean): TagRef {
  const names = tags.map((t) => t.name);
  const named = (name: string | undefined) => tags.find((t) => t.name === name);
  let found: TagRef | undefined;
  if (wanted === 'latest') {
    found = named(latestStable(names));
    if (!found) throw new InputError(`${displayUrl(repo)} has no stable release tag`, { code: 'unknown-tag', fix: 'pass an exact --tag (see edgebuild tags)' });
  } else {
    found = named(wanted) ?? (wanted.startsWith('v') ? undefined : named(`v${wanted}`));
  }
  if (found) return found;
  const suggestions = suggestTags(wanted, names);
  throw new InputError(`tag ${wanted} does not exist in ${displayUrl(repo)}${offline ? ' (the cached mirror could not be updated)' : ''}`, {
    code: 'unknown-tag',
    fix: suggestions.length ? `use one of ${suggestions.join(', ')} (see edgebuild tags)` : 'see edgebuild tags',
    details: { suggestions },
  });
}

function sourceOf(mirror: string, tag: TagRef, files: TagFiles, fetched: boolean, warnings: string[]): Source {
  const earthfile = files.get('Earthfile');
  const peVersion = earthfile === undefined ? undefined : readPeVersion(earthfile);
  if (peVersion === undefined) warnings.push(`${tag.name}: no ARG PE_VERSION found in the Earthfile; the agent version is unknown`);
  return { mirror, tag: tag.name, commit: tag.commit, peVersion, files, fetched, warnings };
}

/**
 * Two git processes when the mirror already holds the tag's commit: the
 * remote's tags (a moved tag is seen at once), then the files by commit,
 * which are the same in any repository that has that commit. Otherwise (no
 * mirror yet, a commit it lacks, the remote or the mirror unreadable) the
 * mirror is fetched first, as always.
 */
export async function resolveSource(repo: string, wanted: string, cacheDir: string, options: GitOptions = {}): Promise<Source> {
  const cached = mirrorPath(resolve(cacheDir), repo);
  const { signal } = options;
  // While the remote is asked, the files at the tag as the mirror last fetched it: a rerun's tag has not moved.
  const [tags, guess] = await Promise.all([
    remoteTags(cached, repo, signal), // undefined without a mirror yet
    wanted === 'latest' ? undefined : readAt(cached, { tag: wanted }, TAG_FILES, signal).catch(() => undefined),
  ]);
  if (tags) {
    const tag = pickTag(repo, wanted, tags, false);
    const read = guess?.commit === tag.commit && tag.name === wanted ? guess : await readAt(cached, { commit: tag.commit }, TAG_FILES, signal).catch(() => undefined);
    if (read) return sourceOf(cached, tag, read.files, false, []);
  }
  const mirror = await ensureMirror(repo, cacheDir, options);
  const tag = pickTag(repo, wanted, await listTags(mirror.path), mirror.offline);
  return sourceOf(mirror.path, tag, await filesIn(mirror.path, tag.commit, options.signal), true, [...mirror.warnings]);
}

/** TAG_FILES from a mirror that must hold the commit: anything else is a damaged mirror (exit 1 with the fix). */
async function filesIn(mirror: string, commit: string, signal?: AbortSignal): Promise<TagFiles> {
  let read;
  try {
    read = await readAt(mirror, { commit }, TAG_FILES, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw damagedMirror(mirror, error);
  }
  if (!read) throw damagedMirror(mirror, new Error(`the tag's commit ${commit} is missing`));
  return read.files;
}

/**
 * The mirror a checkout clones: fetched by this run, its tag still at the
 * commit the plan was made for. Returns the mirror's warnings (offline,
 * moved aside) for the caller to tell.
 */
export async function mirroredSource(repo: string, cacheDir: string, source: Pick<Source, 'mirror' | 'tag' | 'commit' | 'fetched'>, options: GitOptions = {}): Promise<string[]> {
  if (source.fetched) return [];
  const mirror = await ensureMirror(repo, cacheDir, options);
  const now = (await listTags(mirror.path)).find((t) => t.name === source.tag)?.commit;
  if (now !== source.commit) {
    throw new RuntimeError(`${source.tag} moved in ${displayUrl(repo)} while edgebuild ran (planned at ${source.commit.slice(0, 12)}, now ${now?.slice(0, 12) ?? 'gone'})`, {
      code: 'git-tag-moved',
      fix: 'run edgebuild again: it plans from where the tag points now',
    });
  }
  return mirror.warnings;
}
