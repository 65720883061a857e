/**
 * Registry credentials for `push` / `pull`: EDGEBUILD_REGISTRY_USERNAME /
 * _PASSWORD (for CI), else the docker CLI's own lookup (registryCredentials.ts:
 * config.json `credHelpers`, `auths`, `credsStore`, helpers fed on stdin), so
 * no secret is ever in a process's arguments.
 */
import { dockerConfigPath, registryCredentials } from './registryCredentials.js';

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user). */
  identityToken?: string;
  /** Where it came from, for messages: never the secret. */
  source: string;
}

export async function registryCredential(registry: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<RegistryCredential | undefined> {
  if (env.EDGEBUILD_REGISTRY_USERNAME !== undefined || env.EDGEBUILD_REGISTRY_PASSWORD !== undefined) {
    return { username: env.EDGEBUILD_REGISTRY_USERNAME ?? '', password: env.EDGEBUILD_REGISTRY_PASSWORD ?? '', source: 'EDGEBUILD_REGISTRY_USERNAME/_PASSWORD' };
  }
  const found = await registryCredentials(registry, env, signal);
  if (!found) return undefined;
  const source = found.helper ?? dockerConfigPath(env);
  return found.identityToken ? { identityToken: found.secret, source } : { username: found.username, password: found.secret, source };
}
