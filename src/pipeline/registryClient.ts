/**
 * The registry a reference names, with the credentials the docker CLI would
 * use: shared by push, pull and verify --ref.
 */
import { type OciReference } from '../core/ociArtifact.js';
import { registryCredential } from '../adapters/dockerCredentials.js';
import { OciRegistry } from '../adapters/ociRegistry.js';

export interface RegistryAccess {
  /** http:// instead of https://. */
  plainHttp?: boolean;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export function openRegistry(ref: OciReference, access: RegistryAccess, actions: 'pull' | 'pull,push'): OciRegistry {
  return new OciRegistry({
    registry: ref.registry,
    repository: ref.repository,
    plainHttp: access.plainHttp ?? false,
    ...(access.env.EDGEBUILD_REGISTRY_CA ? { caFile: access.env.EDGEBUILD_REGISTRY_CA } : {}),
    credential: () => registryCredential(ref.registry, access.env, access.signal),
    actions,
    ...(access.signal ? { signal: access.signal } : {}),
  });
}
