/**
 * sha256 of files as they are on disk, read in 1 MiB blocks through one
 * reused buffer: a 4 GB ISO costs 1 MiB of memory and runs at the speed of
 * the hash (openssl dgst's own).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { sha256Hasher } from '../core/digest.js';

const BLOCK_BYTES = 1024 * 1024;
/** Blocks between two turns of the event loop (32 MiB, a few dozen ms): Ctrl-C and progress output are still seen. */
const BLOCKS_PER_TURN = 32;

/**
 * Reads `path` from start to end and hands each block to `onBlock`.
 * Synchronous reads, each block used at once, as openssl dgst does: the
 * block is still in the CPU cache when it is hashed, and the kernel's
 * read-ahead keeps the disk busy meanwhile. (A 4 MiB two-buffer pipeline
 * on the thread pool measured 1.4-2.1x openssl on a loaded 2-CPU machine:
 * the overlap needs a free CPU, and a 4 MiB block has left the cache by
 * the time it is hashed.) An `onBlock` that returns a promise (a write)
 * keeps its block until the promise settles; the next block is read into
 * a second buffer meanwhile. Returns the bytes read.
 */
export async function eachBlock(path: string, onBlock: (block: Buffer) => void | Promise<void>, signal?: AbortSignal): Promise<number> {
  if (signal?.aborted) throw signal.reason;
  const fd = openSync(path, 'r');
  const buffers = [Buffer.allocUnsafe(BLOCK_BYTES), Buffer.allocUnsafe(BLOCK_BYTES)] as const;
  let size = 0;
  let pending: void | Promise<void> = undefined;
  try {
    for (let blocks = 1; ; blocks++) {
      const buffer = buffers[blocks % 2]!;
      const bytesRead = readSync(fd, buffer, 0, BLOCK_BYTES, null);
      await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      pending = onBlock(buffer.subarray(0, bytesRead));
      size += bytesRead;
      if (blocks % BLOCKS_PER_TURN === 0) await setImmediate();
      if (signal?.aborted) throw signal.reason;
    }
  } finally {
    await Promise.resolve(pending).catch(() => undefined);
    closeSync(fd);
  }
  return size;
}

export async function sha256File(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = sha256Hasher();
  const size = await eachBlock(path, (block) => void hash.update(block), signal);
  return { sha256: hash.digest('hex'), size };
}

/**
 * The hashing loop of sha256File, run on a worker thread: a file the size of an ISO hashed
 * on the second CPU while this thread hashes another (one JavaScript thread runs two
 * eachBlock loops one after the other, however they are interleaved). Inline code, so the
 * same worker runs from src/ under the tests and from dist/.
 */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const fd = openSync(workerData.path, 'r');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(${BLOCK_BYTES});
let size = 0;
try {
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    hash.update(buffer.subarray(0, n));
    size += n;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest('hex'), size });
`;

/** sha256File on a worker thread (see HASH_WORKER); stopped when `signal` aborts. */
export async function sha256FileOnWorker(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  // Imported here: worker_threads costs a few ms to load, which an up-to-date rerun (it hashes on this thread) does not pay.
  const { Worker } = await import('node:worker_threads');
  if (signal?.aborted) throw signal.reason;
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: { path }, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
  const stop = (): void => void worker.terminate();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', () => reject(signal?.aborted ? signal.reason : new Error(`the hash of ${path} stopped`)));
    });
  } finally {
    signal?.removeEventListener('abort', stop);
    void worker.terminate();
  }
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
  const hash = sha256Hasher();
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
