/**
 * `edgebuild pull <ref> [--out <dir>]`: fetch the manifest (by tag, or by
 * digest — then its bytes must hash to it) → stream every blob into a
 * private staging directory inside --out, each checked against its digest →
 * `edgebuild verify` on the staged set → rename into --out the way publish
 * does (old manifest.json first, new one last). A damaged blob or a set
 * that does not verify leaves --out as it was.
 */
import { DEFAULT_OUT_DIR } from './options.js';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { RuntimeError } from '../errors.js';
import { OCI_MANIFEST_TYPE, compareLayers, formatReference, manifestReference, parseImageManifest, parseReference, type OciReference, type PulledLayer } from '../core/ociArtifact.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from '../core/manifest.js';
import { sha256 } from '../core/digest.js';
import { formatBytes } from '../core/github/report.js';
import { makeDir, makePrivateDir, readTextIfReadable, removeFile, removeTree, renamePath, setMode, sweepLeftovers } from '../adapters/files.js';
import { fsyncDir, targetIn } from '../adapters/publishFiles.js';
import { ownerTag } from '../adapters/processIdentity.js';
import type { OciRegistry } from '../adapters/ociRegistry.js';
import { refuseForeignManifest, publishedArtifact, type PublishedArtifact } from './publish.js';
import { StepProgress, type ProgressStream, type TaskReporter } from './renderer.js';
import { openRegistry, type RegistryAccess } from './registryClient.js';
import { verifyPublished } from './verify.js';
import type { Check } from '../core/verify.js';

export interface PullOptions extends RegistryAccess {
  ref: string;
  out?: string;
  cwd: string;
  stderr: ProgressStream;
}

export interface PullResult {
  status: 'pulled';
  ref: string;
  digest: string;
  out: string;
  artifacts: PublishedArtifact[];
  manifest: string;
  buildKey: string;
  checks: Check[];
  durationMs: number;
}

const STAGING_PREFIX = '.pull-tmp-';

interface FetchedManifest {
  digest: string;
  layers: PulledLayer[];
}

/** Fetches a reference's artifact manifest; fetched by digest, its bytes must hash to that digest. */
export async function fetchArtifact(registry: OciRegistry, ref: OciReference): Promise<FetchedManifest> {
  const bytes = await registry.getManifest(manifestReference(ref), [OCI_MANIFEST_TYPE]);
  const digest = `sha256:${sha256(bytes)}`;
  if (ref.digest && digest !== ref.digest) {
    throw new RuntimeError(`${formatReference(ref)}: the registry sent a manifest whose digest is ${digest}`, { code: 'pull-digest', fix: 'the registry holds a damaged manifest: push the artifact again' });
  }
  return { digest, layers: parseImageManifest(bytes.toString('utf8'), formatReference(ref)).layers };
}

async function downloadStep(registry: OciRegistry, fetched: FetchedManifest, staging: string, task: TaskReporter): Promise<void> {
  for (const layer of fetched.layers) {
    await registry.pullBlob(`sha256:${layer.sha256}`, layer.size, join(staging, layer.name), (received) => {
      task.output = `${layer.name}: ${formatBytes(received)} of ${formatBytes(layer.size)}`;
    });
  }
}

/** The staged set is exactly what its manifest.json lists, then `edgebuild verify` on its ISO. */
async function verifyStep(staging: string, fetched: FetchedManifest, cwd: string, signal?: AbortSignal): Promise<{ manifest: Manifest; checks: Check[] }> {
  const manifestPath = join(staging, MANIFEST_NAME);
  const text = (await readTextIfReadable(manifestPath)) ?? '';
  const manifest = parseManifest(text, manifestPath);
  const own = { name: MANIFEST_NAME, sha256: sha256(text), size: Buffer.byteLength(text) };
  const layerChecks = compareLayers(fetched.layers, manifest, own);
  const failed = layerChecks.find((c) => !c.ok);
  if (failed) throw new RuntimeError(`the pulled artifact does not match its own manifest.json: ${failed.message}`, { code: failed.id, fix: 'push the artifact again with edgebuild push' });
  const [iso] = manifest.artifacts;
  if (!iso) throw new RuntimeError(`${manifestPath} lists no ISO`, { code: 'manifest-artifact', fix: 'push the artifact again with edgebuild push' });
  // Each blob was hashed as it was written into the private staging dir and matched its layer digest, which
  // compareLayers just matched to manifest.json: the ISO's hash is known without reading it again.
  const layer = fetched.layers.find((l) => l.name === iso.name);
  const verified = await verifyPublished(join(staging, iso.name), cwd, signal, { hashed: layer && { sha256: layer.sha256, size: layer.size } });
  return { manifest, checks: verified.checks };
}

/** Like publish: the old manifest.json goes before the first rename, the new one comes last. */
async function moveIntoOut(staging: string, out: string, manifest: Manifest): Promise<PublishedArtifact[]> {
  for (const a of manifest.artifacts) await setMode(join(staging, a.name), a.mode ? parseInt(a.mode, 8) : 0o644);
  await setMode(join(staging, MANIFEST_NAME), 0o644);
  await refuseForeignManifest(out);
  await removeFile(join(out, MANIFEST_NAME));
  for (const a of manifest.artifacts) await renamePath(join(staging, a.name), targetIn(out, a.name));
  await renamePath(join(staging, MANIFEST_NAME), targetIn(out, MANIFEST_NAME));
  await fsyncDir(out);
  return manifest.artifacts.map(publishedArtifact(out));
}

export async function runPull(options: PullOptions): Promise<PullResult> {
  const startedAt = Date.now();
  const ref = parseReference(options.ref, 'the reference');
  const out = resolve(options.cwd, options.out ?? DEFAULT_OUT_DIR);
  await refuseForeignManifest(out);
  const steps = new StepProgress(options.stderr, options.env);
  const registry = openRegistry(ref, options, 'pull');
  await makeDir(out);
  await sweepLeftovers(out, [STAGING_PREFIX]); // staging dirs of pulls that were killed
  const staging = join(out, `${STAGING_PREFIX}${ownerTag()}-${randomBytes(4).toString('hex')}`);
  try {
    const fetched = await steps.run(`Fetch the manifest of ${formatReference(ref)}`, () => fetchArtifact(registry, ref));
    // Private while the ISO (which may carry a registration token) is being written.
    await makePrivateDir(staging);
    await steps.run('Download and check every blob', (task) => downloadStep(registry, fetched, staging, task));
    const verified = await steps.run('Verify the ISO, its .sha256 and manifest.json', () => verifyStep(staging, fetched, options.cwd, options.signal));
    const artifacts = await steps.run(`Publish into ${out}`, () => moveIntoOut(staging, out, verified.manifest));
    return {
      status: 'pulled',
      ref: formatReference(ref),
      digest: fetched.digest,
      out,
      artifacts,
      manifest: join(out, MANIFEST_NAME),
      buildKey: verified.manifest.buildKey,
      checks: verified.checks,
      durationMs: Date.now() - startedAt,
    };
  } finally {
    registry.close();
    await removeTree(staging);
  }
}

