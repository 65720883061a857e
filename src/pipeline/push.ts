/**
 * `edgebuild push <out-dir|iso> --to <registry>/<repo>:<tag>`: the published
 * set as one OCI artifact. Read manifest.json (it records every file's
 * digest, so blobs already in the registry are skipped by HEAD before any
 * byte is read) → upload the missing blobs in chunks, hashing the ISO as it
 * is read (once) → push the image manifest last, so the tag never names an
 * artifact with missing blobs → record the digest beside the set.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { EMPTY_BLOB, EMPTY_DIGEST, OCI_MANIFEST_TYPE, formatReference, makeImageManifest, parseReference, renderImageManifest, type OciReference, type SetFile } from '../core/ociArtifact.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from '../core/manifest.js';
import { parseChecksumFile } from '../core/checksumFile.js';
import { sha256 } from '../core/digest.js';
import { formatBytes } from '../core/github/report.js';
import { sizeOf } from '../adapters/checksum.js';
import { atomicWriteFile, readTextIfReadable } from '../adapters/files.js';
import type { OciRegistry } from '../adapters/ociRegistry.js';
import { StepProgress, type ProgressStream, type TaskReporter } from './renderer.js';
import { openRegistry, type RegistryAccess } from './registryClient.js';

export const PUSHED_NAME = 'pushed.json';

export interface PushOptions extends RegistryAccess {
  /** The --out of a build, or the ISO in it. */
  source: string;
  to: string;
  cwd: string;
  stderr: ProgressStream;
}

interface LocalSet {
  dir: string;
  manifest: Manifest;
  /** The files in push order (the ISO first, manifest.json last), with their paths. */
  files: (SetFile & { path: string })[];
}

export interface PushResult {
  status: 'pushed';
  ref: string;
  digest: string;
  /** The reference pinned by digest: what `edgebuild pull` takes to get exactly these bytes. */
  pinned: string;
  layers: { name: string; digest: string; size: number; uploaded: boolean }[];
  recorded: string;
  durationMs: number;
}

async function readSet(options: Pick<PushOptions, 'source' | 'cwd'>): Promise<LocalSet> {
  const source = resolve(options.cwd, options.source);
  const dir = (await sizeOf(source)) === undefined ? source : dirname(source);
  const manifestPath = join(dir, MANIFEST_NAME);
  const text = await readTextIfReadable(manifestPath);
  if (text === undefined) {
    throw new InputError(`${manifestPath} does not exist: ${options.source} is not a directory edgebuild published into`, { code: 'push-no-manifest', fix: 'push the --out of edgebuild iso (or the ISO in it), e.g. edgebuild push out/edgebuild --to …' });
  }
  const manifest = parseManifest(text, manifestPath);
  if (source !== dir && !manifest.artifacts.some((a) => a.name === basename(source))) {
    throw new InputError(`${manifestPath} does not list ${basename(source)}`, { code: 'push-no-manifest', fix: 'push an ISO published by edgebuild iso, with its manifest.json' });
  }
  const files = manifest.artifacts.map((a) => ({ name: a.name, sha256: a.sha256, size: a.size, path: join(dir, a.name) }));
  for (const file of files) {
    const size = await sizeOf(file.path);
    if (size !== file.size) {
      throw new RuntimeError(`${file.path} is ${size === undefined ? 'missing' : `${size} bytes`}; manifest.json records ${file.size} bytes`, { code: 'push-changed', fix: `run edgebuild verify on the ISO in ${dir}, then publish it again` });
    }
  }
  // The .sha256 is tiny: check it now, against its own record and the ISO's, before any upload.
  const [iso, checksum] = files;
  if (iso && checksum) {
    const checksumText = (await readTextIfReadable(checksum.path)) ?? '';
    if (sha256(checksumText) !== checksum.sha256 || !parseChecksumFile(checksumText).some((l) => l.sha256 === iso.sha256)) {
      throw new RuntimeError(`${checksum.path} is not the checksum manifest.json records`, { code: 'push-changed', fix: `run edgebuild verify on ${iso.path}, then publish it again` });
    }
  }
  files.push({ name: MANIFEST_NAME, sha256: sha256(text), size: Buffer.byteLength(text), path: manifestPath });
  return { dir, manifest, files };
}

async function missingBlobs(registry: OciRegistry, files: readonly SetFile[]): Promise<Set<string>> {
  const missing = new Set<string>();
  for (const digest of [EMPTY_DIGEST, ...files.map((f) => `sha256:${f.sha256}`)]) {
    if (!(await registry.blobExists(digest))) missing.add(digest);
  }
  return missing;
}

async function uploadStep(registry: OciRegistry, set: LocalSet, missing: ReadonlySet<string>, task: TaskReporter): Promise<PushResult['layers']> {
  if (missing.has(EMPTY_DIGEST)) await registry.pushBytes(Buffer.from(EMPTY_BLOB), EMPTY_DIGEST);
  const layers: PushResult['layers'] = [];
  for (const file of set.files) {
    const digest = `sha256:${file.sha256}`;
    const uploaded = missing.has(digest);
    if (uploaded) {
      await registry.pushFile(file.path, { digest, size: file.size }, (sent) => {
        task.output = `${file.name}: ${formatBytes(sent)} of ${formatBytes(file.size)}`;
      });
    }
    layers.push({ name: file.name, digest, size: file.size, uploaded });
  }
  return layers;
}

async function recordPush(dir: string, entry: { ref: string; digest: string; buildKey: string; pushedAt: string }): Promise<string> {
  const path = join(dir, PUSHED_NAME);
  let entries: (typeof entry)[] = [];
  try {
    const previous = JSON.parse((await readTextIfReadable(path)) ?? '[]') as unknown;
    if (Array.isArray(previous)) entries = previous as (typeof entry)[];
  } catch {
    // an unreadable record is replaced: it only ever held what pushes wrote
  }
  await atomicWriteFile(path, `${JSON.stringify([...entries.filter((e) => e.ref !== entry.ref), entry], null, 2)}\n`);
  return path;
}

export async function runPush(options: PushOptions): Promise<PushResult> {
  const startedAt = Date.now();
  const ref: OciReference = parseReference(options.to, '--to', true);
  if (ref.digest) throw new InputError(`--to ${options.to}: a push names a tag, not a digest`, { code: 'oci-reference', fix: 'drop the @sha256:… part; the digest is printed after the push' });
  const steps = new StepProgress(options.stderr, options.env);
  const set = await steps.run('Read the published set', () => readSet(options));
  const registry = openRegistry(ref, options, 'pull,push');
  try {
    const missing = await steps.run(`Check ${ref.registry}/${ref.repository} for blobs it already has`, () => missingBlobs(registry, set.files));
    const layers = await steps.run('Upload the missing blobs', (task) => uploadStep(registry, set, missing, task));
    const image = Buffer.from(renderImageManifest(makeImageManifest(set.manifest, set.files)));
    const digest = `sha256:${sha256(image)}`;
    const named = await steps.run(`Push the manifest as ${ref.tag ?? ''}`, () => registry.putManifest(ref.tag ?? digest, image, OCI_MANIFEST_TYPE));
    if (named !== undefined && named !== digest) {
      throw new RuntimeError(`${ref.registry} stored the manifest as ${named}, not ${digest}`, { code: 'registry-protocol', fix: 'the registry rewrote the manifest: push to an OCI-conformant registry' });
    }
    const shown = formatReference(ref);
    const recorded = await recordPush(set.dir, { ref: shown, digest, buildKey: set.manifest.buildKey, pushedAt: new Date().toISOString() });
    return { status: 'pushed', ref: shown, digest, pinned: formatReference({ ...ref, digest }), layers, recorded, durationMs: Date.now() - startedAt };
  } finally {
    registry.close();
  }
}
