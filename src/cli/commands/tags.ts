import type { CommandContext } from '../program.js';
import { latestStable, sortTags } from '../../core/tags.js';
import { DEFAULT_REPO, displayUrl, ensureMirror, listTags, normalizeRepo } from '../../adapters/git.js';
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
  const mirror = await ensureMirror(repo, cacheDir, { signal: io.signal, onRetry: (attempt, error) => out.info(`retry ${attempt}: ${error}`) });
  mirror.warnings.forEach((w) => out.warn(w));
  const refs = await listTags(mirror.path);
  const commits = new Map(refs.map((r) => [r.name, r.commit]));
  const names = refs.map((r) => r.name);
  const latest = latestStable(names) ?? null;
  const tags = sortTags(names).map((t) => ({
    name: t.name,
    commit: commits.get(t.name)!,
    kind: t.kind,
    /** Not a stable release: never chosen as latest. */
    prerelease: t.kind !== 'stable',
    latest: t.name === latest,
  }));
  const label = { stable: '', prerelease: '  (pre-release)', other: '  (not a semver release)' };
  const human = tags.map((t) => `${t.name}${t.latest ? '  (latest)' : label[t.kind]}`).join('\n');
  out.result({ repo: displayUrl(repo), latest, tags }, human || 'no tags');
  return 0;
}
