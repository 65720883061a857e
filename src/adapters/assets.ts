/**
 * Files shipped in the npm package beside dist/ (see package.json "files"),
 * found relative to this module so they load from a checkout (src/adapters),
 * a build (dist/adapters) and an installed package alike.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';

export const CREDENTIAL_PROVIDER_ASSET = fileURLToPath(new URL('../../assets/edgebuild-credential-provider.py', import.meta.url));
/** Leads a build's process group and kills it when edgebuild dies (adapters/proc.ts). */
export const BUILD_SUPERVISOR_ASSET = fileURLToPath(new URL('../../assets/edgebuild-build-supervisor.mjs', import.meta.url));

/** The kubelet credential provider the registries stages install on PXK-E nodes. */
export async function readCredentialProviderScript(): Promise<string> {
  try {
    return await readFile(CREDENTIAL_PROVIDER_ASSET, 'utf8');
  } catch (error) {
    throw new RuntimeError(`${CREDENTIAL_PROVIDER_ASSET}: the credential provider shipped with edgebuild is missing`, {
      code: 'asset-missing',
      fix: 'reinstall edgebuild (the package must contain assets/)',
      cause: error,
    });
  }
}
