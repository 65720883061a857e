import type { CommandContext } from '../program.js';
import { PE_VERSION_PATTERN, latestStable, readPeVersion, sortTags } from '../../core/tags.js';
import { DEFAULT_REPO, displayUrl, ensureMirror, grepAt, listTags, normalizeRepo } from '../../adapters/git.js';
import { defaultCacheDir } from '../../pipeline/inputs.js';
import { resolve } from 'node:path';

interface Flags {
  repo?: string;
  cacheDir?: string;
  json?: boolean;
}

export async function tagsCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const repo = normalizeRepo(options.repo ?? DEFAULT_REPO, io.cwd);
  const cacheDir = resolve(io.cwd, options.cacheDir ?? defaultCacheDir(io.env));
  // A fetch retried with backoff takes up to 22 s: say so instead of hanging silently.
  const mirror = await ensureMirror(repo, cacheDir, { signal: io.signal, onRetry: (attempt, error) => out.info(`retry ${attempt}: ${error}`), onWait: (line) => out.warn(line) });
  mirror.warnings.forEach((w) => out.warn(w));
  const refs = await listTags(mirror.path);
  const commits = new Map(refs.map((r) => [r.name, r.commit]));
  const names = refs.map((r) => r.name);
  const latest = latestStable(names) ?? null;
  // The agent version each tag's Earthfile pins; on some tags it is not the tag's name.
  const pinned = await grepAt(mirror.path, [...commits.values()], PE_VERSION_PATTERN, 'Earthfile');
  const peVersionOf = (commit: string): string | null => readPeVersion((pinned.get(commit) ?? []).join('\n')) ?? null;
  const tags = sortTags(names).map((t) => ({
    name: t.name,
    commit: commits.get(t.name)!,
    peVersion: peVersionOf(commits.get(t.name)!),
    kind: t.kind,
    /** Not a stable release: never chosen as latest. */
    prerelease: t.kind !== 'stable',
    latest: t.name === latest,
  }));
  const label = { stable: '', prerelease: '  (pre-release)', other: '  (not a semver release)' };
  const width = Math.max(0, ...tags.map((t) => t.name.length));
  const human = tags
    .map((t) => {
      const pe = t.peVersion === null ? 'PE_VERSION unknown' : t.peVersion === t.name ? '' : `PE_VERSION ${t.peVersion}`;
      return `${t.name.padEnd(width)}${t.latest ? '  (latest)' : label[t.kind]}${pe ? `  ${pe}` : ''}`.trimEnd();
    })
    .join('\n');
  out.result({ repo: displayUrl(repo), latest, tags }, human || 'no tags');
  return 0;
}
