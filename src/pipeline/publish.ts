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
  const isoFile = `${input.isoName}.iso`;
  return publishSet({
    outDir: input.outDir,
    files: [{ ...input.iso, from: input.iso.path, name: isoFile, mode: input.isoMode, what: 'the ISO' }],
    texts: [{ name: `${isoFile}.sha256`, text: formatChecksumLine(input.iso.sha256, isoFile) }],
    manifest: input.manifest,
    secrets: input.secrets,
    ...(input.signal ? { signal: input.signal } : {}),
  });
}

/** A verified file of a build, published under `name` with `mode`. */
export interface PublishFile {
  from: string;
  name: string;
  size: number;
  sha256: string;
  mode: number;
  /** Shown when a copy does not match: `the ISO`, `PK.key`. */
  what: string;
}

export interface PublishSetInput {
  outDir: string;
  /** Verified files, moved (or copied) away from the checkout; the first is the main artifact. */
  files: PublishFile[];
  /** Small files edgebuild writes (checksums), published 0644 after the files. */
  texts: { name: string; text: string }[];
  manifest: Omit<ManifestInput, 'artifacts'>;
  secrets: readonly string[];
  signal?: AbortSignal;
}

/** Publishes verified build outputs, checksum files and manifest.json into --out, all or nothing (see the top). */
export async function publishSet(input: PublishSetInput): Promise<Published> {
  const { outDir, signal } = input;
  const names = [...input.files.map((f) => f.name), ...input.texts.map((t) => t.name)];
  const finalOf = (name: string): string => targetIn(outDir, name);
  const manifestFinal = finalOf(MANIFEST_NAME);
  names.forEach(finalOf);
  await makeDir(outDir);
  await removeStaleTemps(outDir, [...names, MANIFEST_NAME]);
  const temps: { temp: string; final: string }[] = [];
  /** Files moved out of the checkout and not yet published: they go back where the build left them. */
  const moved: { temp: string; from: string }[] = [];
  const copied: string[] = [];
  try {
    const artifacts: Artifact[] = [];
    for (const file of input.files) {
      const staged = await stageFile(file.from, finalOf(file.name), signal);
      temps.push({ temp: staged.temp, final: finalOf(file.name) });
      if (staged.copied) copied.push(file.from);
      else moved.push({ temp: staged.temp, from: file.from });
      // Before the final name exists: a file embedding a token, or a private key, is never readable by others, not even briefly.
      await setMode(staged.temp, file.mode);
      // A copy across file systems is checked by the hash of the bytes it copied; a rename cannot change them.
      if (staged.copied && (staged.sha256 !== file.sha256 || staged.size !== file.size)) {
        throw new RuntimeError(`the copy of ${file.what} in ${outDir} does not match the verified ${file.what}`, { code: 'publish-copy', fix: 'check the disk holding --out, then rebuild with --force' });
      }
      artifacts.push({ name: file.name, size: file.size, sha256: file.sha256, mode: octalMode(file.mode) });
    }
    for (const { name, text } of input.texts) {
      temps.push({ temp: await stageText(text, finalOf(name)), final: finalOf(name) });
      artifacts.push({ name, size: Buffer.byteLength(text), sha256: sha256(text) });
    }
    const manifest = makeManifest({ ...input.manifest, artifacts }, input.secrets);
    temps.push({ temp: await stageText(renderManifest(manifest), manifestFinal), final: manifestFinal });
    if (signal?.aborted) throw new InterruptedError();
    await refuseForeignManifest(outDir);
    await removeFile(manifestFinal);
    // The manifest is renamed last: it never describes files that are not there.
    for (const { temp, final } of temps) await renamePath(temp, final);
    temps.length = 0;
    moved.length = 0;
    await fsyncDir(outDir);
    // Published by copy: the checkout's files are now duplicates, as after a rename they would be gone.
    await removeQuietly(copied);
    return { artifacts: artifacts.map(publishedArtifact(outDir)), manifestPath: manifestFinal, manifest };
  } finally {
    for (const m of moved) await renamePath(m.temp, m.from).then(() => temps.splice(temps.findIndex((t) => t.temp === m.temp), 1), () => undefined);
    await removeQuietly(temps.map((t) => t.temp));
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
