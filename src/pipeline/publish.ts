/**
 * Step 8: publish into --out: the ISO, `<name>.iso.sha256` (checkable with
 * `sha256sum -c` from inside --out) and manifest.json. All three are staged
 * under temporary names first; the old manifest goes before the first
 * rename and the new one comes last, so a manifest never describes files
 * that are not there.
 */
import { join } from 'node:path';
import { InputError, InterruptedError, RuntimeError } from '../errors.js';
import { formatChecksumLine } from '../core/checksumFile.js';
import { MANIFEST_NAME, checkManifest, makeManifest, octalMode, renderManifest, upToDate, type Artifact, type Manifest, type ManifestInput } from '../core/manifest.js';
import { sha256 } from '../core/digest.js';
import { sizeOf } from '../adapters/checksum.js';
import { makeDir, removeFile, renamePath, setMode } from '../adapters/files.js';
import { readOwnManifest } from '../adapters/ownManifest.js';
import { fsyncDir, removeQuietly, removeStaleTemps, stageFile, stageText, targetIn } from '../adapters/publishFiles.js';

export interface PublishInput {
  outDir: string;
  isoName: string;
  /** The verified ISO in the checkout; moved (or copied) away. */
  iso: { path: string; size: number; sha256: string };
  manifest: Omit<ManifestInput, 'artifacts'>;
  secrets: readonly string[];
  /** The ISO's permissions: 0o600 when it embeds credentials (Plan.privateIso). */
  isoMode: number;
  signal?: AbortSignal;
}

export interface PublishedArtifact {
  path: string;
  sha256: string;
  size: number;
  /** Permissions, as octal text (`0600`); given for the ISO. */
  mode?: string;
}

export interface Published {
  artifacts: PublishedArtifact[];
  manifestPath: string;
  manifest: Manifest;
}

/**
 * Refuses (exit 2) an --out whose manifest.json edgebuild did not write (a
 * web app's): publishing replaces manifest.json. Checked in step 1 and again
 * just before the replacement.
 */
export async function refuseForeignManifest(outDir: string): Promise<void> {
  const found = await readOwnManifest(join(outDir, MANIFEST_NAME), checkManifest);
  if (found.state === 'foreign') {
    throw new InputError(`${outDir}: --out holds a ${MANIFEST_NAME} edgebuild did not write (${found.reason})`, {
      code: 'out-foreign',
      fix: `choose another --out, or move that ${MANIFEST_NAME} away`,
    });
  }
}

export async function publish(input: PublishInput): Promise<Published> {
  const { outDir, isoName, signal } = input;
  const isoFile = `${isoName}.iso`;
  const shaFile = `${isoFile}.sha256`;
  const finals = { iso: targetIn(outDir, isoFile), sha: targetIn(outDir, shaFile), manifest: targetIn(outDir, MANIFEST_NAME) };
  await makeDir(outDir);
  await removeStaleTemps(outDir, [isoFile, shaFile, MANIFEST_NAME]);
  const temps: string[] = [];
  let movedFrom: string | undefined;
  try {
    const staged = await stageFile(input.iso.path, finals.iso, signal);
    temps.push(staged.temp);
    if (!staged.copied) movedFrom = input.iso.path;
    // Before the final name exists: an ISO embedding a token is never readable by others, not even briefly.
    await setMode(staged.temp, input.isoMode);
    // A copy across file systems is checked by the hash of the bytes it copied; a rename cannot change them.
    if (staged.copied && (staged.sha256 !== input.iso.sha256 || staged.size !== input.iso.size)) {
      throw new RuntimeError(`the copy of the ISO in ${outDir} does not match the verified ISO`, { code: 'publish-copy', fix: 'check the disk holding --out, then rebuild with --force' });
    }
    const shaText = formatChecksumLine(input.iso.sha256, isoFile);
    const shaTemp = await stageText(shaText, finals.sha);
    temps.push(shaTemp);
    const artifacts: Artifact[] = [
      { name: isoFile, size: input.iso.size, sha256: input.iso.sha256, mode: octalMode(input.isoMode) },
      { name: shaFile, size: Buffer.byteLength(shaText), sha256: sha256(shaText) },
    ];
    const manifest = makeManifest({ ...input.manifest, artifacts }, input.secrets);
    const manifestTemp = await stageText(renderManifest(manifest), finals.manifest);
    temps.push(manifestTemp);
    if (signal?.aborted) throw new InterruptedError();
    await refuseForeignManifest(outDir);
    await removeFile(finals.manifest);
    await renamePath(staged.temp, finals.iso);
    await renamePath(shaTemp, finals.sha);
    await renamePath(manifestTemp, finals.manifest);
    temps.length = 0;
    movedFrom = undefined;
    await fsyncDir(outDir);
    // Published by copy: the checkout's ISO is now a duplicate, as after a rename it would be gone.
    if (staged.copied) await removeQuietly([input.iso.path]);
    return {
      artifacts: artifacts.map(publishedArtifact(outDir)),
      manifestPath: finals.manifest,
      manifest,
    };
  } finally {
    // A verified ISO that was moved, not published, goes back where the build left it.
    if (movedFrom && temps[0]) await renamePath(temps[0], movedFrom).then(() => temps.shift(), () => undefined);
    await removeQuietly(temps);
  }
}

/** A manifest's artifact as the result shows it: its path in --out (and its mode, when recorded). */
export function publishedArtifact(outDir: string): (a: Artifact) => PublishedArtifact {
  return (a) => ({ path: join(outDir, a.name), sha256: a.sha256, size: a.size, ...(a.mode ? { mode: a.mode } : {}) });
}

/**
 * The manifest of a verified build of `key` in `outDir`, or undefined. Reads a few small files only.
 * `privateIso`: the ISO embeds credentials; one published 0644 by an earlier edgebuild is made 0600.
 */
export async function findUpToDate(outDir: string, key: string, privateIso = false): Promise<Manifest | undefined> {
  const manifest = await readManifestIn(outDir);
  if (!manifest) return undefined; // missing or not ours: build
  const sizes = new Map<string, number | undefined>();
  for (const a of manifest.artifacts) sizes.set(a.name, await sizeOf(join(outDir, a.name)));
  if (!upToDate(manifest, key, sizes)) return undefined;
  const [iso] = manifest.artifacts; // the ISO comes first (see publish)
  if (privateIso && iso) await setMode(join(outDir, iso.name), 0o600);
  return manifest;
}

/** The manifest.json in `outDir`, or undefined when there is none or it is not edgebuild's. */
export async function readManifestIn(outDir: string): Promise<Manifest | undefined> {
  const found = await readOwnManifest(join(outDir, MANIFEST_NAME), checkManifest);
  return found.state === 'ours' ? found.manifest : undefined;
}
