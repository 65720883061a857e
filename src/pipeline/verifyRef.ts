/**
 * `edgebuild verify <iso> --ref <ref>`: the local published set as
 * `verify` checks it, and then the pushed artifact against it — its layer
 * digests against the local manifest.json (and manifest.json's own bytes),
 * and a HEAD per blob — without downloading anything but the manifest.
 */
import { dirname } from 'node:path';
import { RuntimeError } from '../errors.js';
import { compareLayers, formatReference, parseReference } from '../core/ociArtifact.js';
import { MANIFEST_NAME, parseManifest } from '../core/manifest.js';
import { sha256 } from '../core/digest.js';
import type { Check } from '../core/verify.js';
import { readTextIfReadable } from '../adapters/files.js';
import { fetchArtifact } from './pull.js';
import { openRegistry, type RegistryAccess } from './registryClient.js';
import { verifyPublished, type PublishedVerification } from './verify.js';

export interface RefVerification extends PublishedVerification {
  ref: string;
  digest: string;
}

export async function verifyAgainstRef(isoArg: string, refText: string, cwd: string, access: RegistryAccess, manifestFile?: string): Promise<RefVerification> {
  const ref = parseReference(refText, '--ref');
  const local = await verifyPublished(isoArg, cwd, access.signal, { manifest: manifestFile });
  const manifestText = (await readTextIfReadable(local.manifest)) ?? '';
  const manifest = parseManifest(manifestText, local.manifest);
  const registry = openRegistry(ref, access, 'pull');
  try {
    const fetched = await fetchArtifact(registry, ref);
    const checks: Check[] = compareLayers(fetched.layers, manifest, { name: MANIFEST_NAME, sha256: sha256(manifestText), size: Buffer.byteLength(manifestText) });
    for (const layer of fetched.layers) {
      const present = await registry.blobExists(`sha256:${layer.sha256}`);
      if (!present) checks.push({ id: 'ref-blob-missing', ok: false, message: `${formatReference(ref)} names a ${layer.name} blob the registry does not have` });
    }
    const failed = checks.find((c) => !c.ok);
    if (failed) {
      throw new RuntimeError(`${formatReference(ref)} is not the published set beside ${local.path}: ${failed.message}`, {
        code: failed.id,
        fix: `push it again: edgebuild push ${dirname(local.path)} --to ${formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' })}`,
        details: { checks: [...local.checks, ...checks] },
      });
    }
    return { ...local, checks: [...local.checks, ...checks], ref: formatReference(ref), digest: fetched.digest };
  } finally {
    registry.close();
  }
}
