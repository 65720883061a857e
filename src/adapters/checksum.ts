/**
 * sha256 of files as they are on disk, streamed through two reused buffers:
 * a 4 GB ISO costs 8 MiB of memory and runs at the speed of the hash.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';

const BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Reads `path` from start to end and hands each block to `onBlock`. Two
 * buffers: the next block is read (on libuv's thread pool) while `onBlock`
 * works on this one (hashing on the main thread, or a write), so the disk and
 * the work overlap. A block is valid only until `onBlock`'s promise settles.
 * Returns the bytes read.
 */
export async function eachBlock(path: string, onBlock: (block: Buffer) => void | Promise<void>, signal?: AbortSignal): Promise<number> {
  const handle = await open(path, 'r');
  let current = Buffer.allocUnsafe(BUFFER_BYTES);
  let next = Buffer.allocUnsafe(BUFFER_BYTES);
  let size = 0;
  let pending: Promise<{ bytesRead: number }> | undefined;
  try {
    let { bytesRead } = await handle.read(current, 0, BUFFER_BYTES, null);
    while (bytesRead > 0) {
      if (signal?.aborted) throw signal.reason;
      pending = handle.read(next, 0, BUFFER_BYTES, null);
      await onBlock(current.subarray(0, bytesRead));
      size += bytesRead;
      ({ bytesRead } = await pending);
      pending = undefined;
      [current, next] = [next, current];
    }
  } finally {
    // An abort or a failed block between starting a read and awaiting it: let the read finish before closing.
    await pending?.catch(() => undefined);
    await handle.close();
  }
  return size;
}

export async function sha256File(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const size = await eachBlock(path, (block) => void hash.update(block), signal);
  return { sha256: hash.digest('hex'), size };
}

/**
 * A content hash of a file or a directory tree: relative paths, the
 * executable bit, symlink targets and file contents, in sorted order.
 * `hashFile` gives each file's sha256 (a FileHashCache's, to skip files
 * that did not change).
 */
export async function sha256Tree(path: string, signal?: AbortSignal, hashFile: (file: string, signal?: AbortSignal) => Promise<string> = fileSha256): Promise<string> {
  const info = await stat(path);
  if (!info.isDirectory()) return hashFile(path, signal);
  const hash = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        hash.update(`d ${name}\0`);
        await walk(full, name);
      } else if (entry.isSymbolicLink()) {
        hash.update(`l ${name}\0${await readlink(full)}\0`);
      } else {
        const mode = (await stat(full)).mode & 0o111 ? 'x' : '-';
        hash.update(`f ${name} ${mode}\0${await hashFile(full, signal)}\0`);
      }
    }
  };
  await walk(path, '');
  return hash.digest('hex');
}

async function fileSha256(path: string, signal?: AbortSignal): Promise<string> {
  return (await sha256File(path, signal)).sha256;
}

/** A file's size, or undefined when it does not exist. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}
