/**
 * File-system effects: atomic writes, exclusive locks. Nothing half-written
 * is ever left under a final name.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { decodeUserText } from '../core/textBytes.js';

/** A sibling temporary name in the same directory, so rename() is atomic. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes under a temporary name in the same directory, fsyncs, then renames. */
export async function atomicWriteFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempSibling(path);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask must not widen or narrow what we asked for
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * Reads a file the user named; a missing or unreadable file is exit 2 naming
 * it, and so are bytes that are not UTF-8 text (at `shown`:line:col).
 */
export async function readUserFile(path: string, what: string, shown = path): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    throw new InputError(`${path}: ${what} ${reason}`, { code: 'file-unreadable', fix: `check the path given for the ${what}` });
  }
  return decodeUserText(bytes, shown);
}

export interface LockOptions {
  /** Wait for the holder to finish (true) or fail at once (false). */
  wait: boolean;
  /** Called once when we start waiting, with what the holder wrote. */
  onWait?: (holder: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Whether a process exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock file and returns its release. A lock whose holder
 * process is gone is stale and taken over.
 */
export async function acquireLock(path: string, description: string, options: LockOptions): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, description, since: new Date().toISOString() }));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readFile(path, 'utf8').catch(() => '');
      let pid: number | undefined;
      try {
        pid = (JSON.parse(holder) as { pid?: number }).pid;
      } catch {
        pid = undefined; // being written right now
      }
      if (pid !== undefined && !processAlive(pid)) {
        await rm(path, { force: true });
        continue;
      }
      if (!options.wait) {
        throw new RuntimeError(`another edgebuild holds ${path} (${holder || 'starting'})`, { code: 'locked', fix: 'wait for it to finish, or run without --no-wait to queue' });
      }
      if (!waited) options.onWait?.(holder);
      waited = true;
      if (options.signal?.aborted) throw options.signal.reason;
      await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    }
  }
}

/** Holds an exclusive lock file while `fn` runs. */
export async function withLock<T>(path: string, description: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(path, description, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}
