/**
 * Step 8: publish into --out: the ISO, `<name>.iso.sha256` (checkable with
 * `sha256sum -c` from inside --out) and manifest.json. All three are staged
 * under temporary names first; the old manifest goes before the first
 * rename and the new one comes last, so a manifest never describes files
 * that are not there.
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InterruptedError, RuntimeError } from '../errors.js';
import { formatChecksumLine } from '../core/checksumFile.js';
import { MANIFEST_NAME, makeManifest, parseManifest, renderManifest, upToDate, type Artifact, type Manifest, type ManifestInput } from '../core/manifest.js';
import { sha256 } from '../core/userData.js';
import { sha256File, sizeOf } from '../adapters/checksum.js';
import { fsyncDir, removeQuietly, removeStaleTemps, stageFile, stageText } from '../adapters/publishFiles.js';

export interface PublishInput {
  outDir: string;
  isoName: string;
  /** The verified ISO in the checkout; moved (or copied) away. */
  iso: { path: string; size: number; sha256: string };
  manifest: Omit<ManifestInput, 'artifacts'>;
  secrets: readonly string[];
  signal?: AbortSignal;
}

export interface PublishedArtifact {
  path: string;
  sha256: string;
  size: number;
}

export interface Published {
  artifacts: PublishedArtifact[];
  manifestPath: string;
  manifest: Manifest;
}

export async function publish(input: PublishInput): Promise<Published> {
  const { outDir, isoName, signal } = input;
  const isoFile = `${isoName}.iso`;
  const shaFile = `${isoFile}.sha256`;
  const finals = { iso: join(outDir, isoFile), sha: join(outDir, shaFile), manifest: join(outDir, MANIFEST_NAME) };
  await mkdir(outDir, { recursive: true });
  await removeStaleTemps(outDir, [isoFile, shaFile, MANIFEST_NAME]);
  const temps: string[] = [];
  let movedFrom: string | undefined;
  try {
    const staged = await stageFile(input.iso.path, finals.iso);
    temps.push(staged.temp);
    if (!staged.copied) movedFrom = input.iso.path;
    // A copy across file systems is checked again; a rename cannot change the bytes.
    if (staged.copied) {
      const copy = await sha256File(staged.temp, signal);
      if (copy.sha256 !== input.iso.sha256 || copy.size !== input.iso.size) {
        throw new RuntimeError(`the copy of the ISO in ${outDir} does not match the verified ISO`, { code: 'publish-copy', fix: 'check the disk holding --out, then rebuild with --force' });
      }
    }
    const shaText = formatChecksumLine(input.iso.sha256, isoFile);
    temps.push(await stageText(shaText, finals.sha));
    const artifacts: Artifact[] = [
      { name: isoFile, size: input.iso.size, sha256: input.iso.sha256 },
      { name: shaFile, size: Buffer.byteLength(shaText), sha256: sha256(shaText) },
    ];
    const manifest = makeManifest({ ...input.manifest, artifacts }, input.secrets);
    temps.push(await stageText(renderManifest(manifest), finals.manifest));
    if (signal?.aborted) throw new InterruptedError();
    await rm(finals.manifest, { force: true });
    await rename(temps[0]!, finals.iso);
    await rename(temps[1]!, finals.sha);
    await rename(temps[2]!, finals.manifest);
    temps.length = 0;
    movedFrom = undefined;
    await fsyncDir(outDir);
    return {
      artifacts: artifacts.map((a) => ({ path: join(outDir, a.name), sha256: a.sha256, size: a.size })),
      manifestPath: finals.manifest,
      manifest,
    };
  } finally {
    // A verified ISO that was moved, not published, goes back where the build left it.
    if (movedFrom && temps[0]) await rename(temps[0], movedFrom).then(() => temps.shift(), () => undefined);
    await removeQuietly(temps);
  }
}

/** The manifest of a verified build of `key` in `outDir`, or undefined. Reads a few small files only. */
export async function findUpToDate(outDir: string, key: string): Promise<Manifest | undefined> {
  const manifest = await readManifestIn(outDir);
  if (!manifest) return undefined; // missing or not ours: build
  const sizes = new Map<string, number | undefined>();
  for (const a of manifest.artifacts) sizes.set(a.name, await sizeOf(join(outDir, a.name)));
  return upToDate(manifest, key, sizes) ? manifest : undefined;
}

/** The manifest.json in `outDir`, or undefined when there is none or it is not edgebuild's. */
export async function readManifestIn(outDir: string): Promise<Manifest | undefined> {
  const path = join(outDir, MANIFEST_NAME);
  try {
    return parseManifest(await readFile(path, 'utf8'), path);
  } catch {
    return undefined;
  }
}
