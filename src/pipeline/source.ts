/**
 * Step 2: resolve the source: the cached mirror, the tag (exact or
 * "latest"), its commit and the PE_VERSION its Earthfile pins.
 */
import { InputError } from '../errors.js';
import { latestStable, readPeVersion, suggestTags } from '../core/tags.js';
import { displayUrl, ensureMirror, listTags, showFile, type GitOptions } from '../adapters/git.js';

export interface Source {
  mirror: string;
  tag: string;
  commit: string;
  peVersion: string | undefined;
  warnings: string[];
}

export async function resolveSource(repo: string, wanted: string, cacheDir: string, options: GitOptions = {}): Promise<Source> {
  const mirror = await ensureMirror(repo, cacheDir, options);
  const tags = await listTags(mirror.path);
  const names = tags.map((t) => t.name);
  const named = (name: string | undefined) => tags.find((t) => t.name === name);
  let found: (typeof tags)[number] | undefined;
  if (wanted === 'latest') {
    found = named(latestStable(names));
    if (!found) throw new InputError(`${displayUrl(repo)} has no stable release tag`, { code: 'unknown-tag', fix: 'pass an exact --tag (see edgebuild tags)' });
  } else {
    found = named(wanted) ?? (wanted.startsWith('v') ? undefined : named(`v${wanted}`));
  }
  if (!found) {
    const suggestions = suggestTags(wanted, names);
    const offline = mirror.offline ? ' (the cached mirror could not be updated)' : '';
    throw new InputError(`tag ${wanted} does not exist in ${displayUrl(repo)}${offline}`, {
      code: 'unknown-tag',
      fix: suggestions.length ? `use one of ${suggestions.join(', ')} (see edgebuild tags)` : 'see edgebuild tags',
      details: { suggestions },
    });
  }
  const { name: tag, commit } = found;
  const earthfile = await showFile(mirror.path, commit, 'Earthfile');
  const peVersion = earthfile === undefined ? undefined : readPeVersion(earthfile);
  const warnings = [...mirror.warnings];
  if (peVersion === undefined) warnings.push(`${tag}: no ARG PE_VERSION found in the Earthfile; the agent version is unknown`);
  return { mirror: mirror.path, tag, commit, peVersion, warnings };
}

