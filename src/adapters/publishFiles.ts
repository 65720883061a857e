/**
 * Moving finished artifacts into the output directory without ever leaving
 * a partial file under a final name: everything is staged under temporary
 * sibling names (same directory, so rename() is atomic), then renamed.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InternalError } from '../errors.js';
import { eachBlock } from './checksum.js';
import { sweepLeftovers, tempSibling } from './files.js';

/**
 * `name` in `dir`, for a file published there. A name that would land
 * anywhere else (`../x`, `a/b`) is an edgebuild bug: ISO_NAME is validated
 * in step 1, and this guard keeps a missed case from renaming over any
 * writable file.
 */
export function targetIn(dir: string, name: string): string {
  const target = join(dir, name);
  if (dirname(target) !== resolve(dir) || basename(target) !== name) {
    throw new InternalError(`publish target ${dir}/${name} is not directly in --out ${dir}`);
  }
  return target;
}

/** How a file was staged: renamed, or copied (another file system) with the sha256 and size of the bytes copied. */
export type Staged = { temp: string; copied: false } | { temp: string; copied: true; sha256: string; size: number };

/**
 * Stages `from` as a temporary sibling of `dest`: a rename when possible;
 * across file systems a copy that hashes the bytes as it writes them, so the
 * caller can compare them with the verified hash without reading the file
 * again. The copy is fsynced; `from` stays until the caller removes it.
 */
export async function stageFile(from: string, dest: string, signal?: AbortSignal): Promise<Staged> {
  const temp = tempSibling(dest);
  try {
    await rename(from, temp);
    return { temp, copied: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  const hash = createHash('sha256');
  const out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const size = await eachBlock(
      from,
      async (block) => {
        // The write goes to the thread pool while the hash runs here; a write held up by the disk does not stop the hash.
        const writing = writeAll(out, block);
        hash.update(block);
        await writing;
      },
      signal,
    );
    await out.sync();
    await out.close();
    return { temp, copied: true, sha256: hash.digest('hex'), size };
  } catch (error) {
    await out.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function writeAll(handle: FileHandle, block: Buffer): Promise<void> {
  for (let written = 0; written < block.length; ) written += (await handle.write(block, written)).bytesWritten;
}

/** Writes text as a temporary sibling of `dest`, fsynced. */
export async function stageText(text: string, dest: string): Promise<string> {
  const temp = tempSibling(dest);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes renames in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncFile(dir);
  } catch {
    // Some file systems refuse fsync on directories; the renames still happened.
  }
}

export async function removeQuietly(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((p) => unlink(p).catch(() => undefined)));
}

/** Removes temporary siblings of `names` in `dir` left by edgebuild processes that no longer exist (killed with SIGKILL). */
export async function removeStaleTemps(dir: string, names: readonly string[]): Promise<void> {
  await sweepLeftovers(dir, names.map((name) => `.${name}.tmp-`));
}
