/**
 * Whether CanvOS's earthly.sh takes its proxy path: HTTP_PROXY or HTTPS_PROXY
 * non-empty after it sources .arg (a key in .arg overrides the environment,
 * even when empty), or a file not starting with "." anywhere under certs/.
 * On that path it runs `docker exec -it earthly-buildkitd
 * update-ca-certificates`, which needs a terminal on stdin. Pure.
 */
import type { ArgValues } from '../argFile.js';

const PROXY_KEYS = ['HTTP_PROXY', 'HTTPS_PROXY'] as const;

export function takesProxyPath(arg: ArgValues, env: Record<string, string | undefined>, certFiles: readonly string[]): boolean {
  const proxy = PROXY_KEYS.some((key) => Boolean(key in arg ? arg[key] : env[key]));
  return proxy || certFiles.some((path) => !path.split('/').at(-1)!.startsWith('.'));
}
