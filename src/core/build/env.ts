/**
 * The environment the build runs with. Proxy settings from `.arg` are also
 * exported (earthly.sh only sources .arg, so its proxy values never reach
 * tools that read the environment); every secret travels here, never in
 * argv. Pure.
 */
import type { ArgValues } from '../argFile.js';
import { urlCredentials } from '../urlCredentials.js';

const PROXY_KEYS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'] as const;

export function buildEnv(arg: ArgValues, env: Record<string, string | undefined>, secrets: readonly string[]): { env: Record<string, string | undefined>; secrets: string[] } {
  const out: Record<string, string | undefined> = { ...env };
  const all = new Set(secrets.filter(Boolean));
  for (const key of PROXY_KEYS) {
    const value = arg[key];
    if (!value) continue;
    out[key] = value;
    out[key.toLowerCase()] = value;
    for (const c of urlCredentials(value)) all.add(c);
  }
  return { env: out, secrets: [...all] };
}
