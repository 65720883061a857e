/** Where edgebuild caches what it fetched (the CanvOS mirrors, the engine locks) unless --cache-dir says otherwise. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultCacheDir(env: Record<string, string | undefined>): string {
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'edgebuild') : join(homedir(), '.cache', 'edgebuild');
}
