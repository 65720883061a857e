/**
 * File-system effects: atomic writes, exclusive locks. Nothing half-written
 * is ever left under a final name.
 */
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { chmod, cp, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { OWNER_TAG, ownerOf, ownerTag, processCommand, processState, selfId, stillRunning, type ProcessId } from './processIdentity.js';
import { decodeUserText } from '../core/text/bytes.js';

/** A sibling temporary name in the same directory, so rename() is atomic. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${ownerTag()}-${randomBytes(4).toString('hex')}`);
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

/** Whether `path` exists (a dangling symlink does not). */
export function pathExists(path: string): boolean {
  return existsSync(path);
}

/** A text file's content, or undefined when it is missing or unreadable: for files whose absence is a finding, not an error. */
export async function readTextIfReadable(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function makeDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/** Removes a file; nothing there is fine, a directory there is an error. */
export async function makePrivateDir(path: string): Promise<void> {
  await mkdir(path, { mode: 0o700 });
}

/** Removes a file (not a directory); a missing file is fine. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Removes a file or a whole tree; nothing there is fine. */
export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Copies a file or a tree to `dest`, making its parent and replacing what is there. */
export async function copyTree(from: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  await cp(from, dest, { recursive: true, force: true });
}

export async function setMode(path: string, mode: number): Promise<void> {
  await chmod(path, mode);
}

/** rename(2): atomic within one file system, replacing `to`. */
export async function renamePath(from: string, to: string): Promise<void> {
  await rename(from, to);
}

/** The names in a directory, sorted; undefined when it does not exist or is no directory. */
export async function listDir(path: string): Promise<string[] | undefined> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return undefined;
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
  /** Called when we start waiting on a holder, with who it is and since when, and until when we wait. */
  onWait?: (holder: string, until: Date) => void;
  signal?: AbortSignal;
  pollMs?: number;
  /** How long to wait before giving up; default EDGEBUILD_LOCK_WAIT_SECONDS, else 3 hours. */
  maxWaitMs?: number;
  /** How old an empty or unreadable lock must be to count as left by a crash. */
  graceMs?: number;
}

/** What a lock file holds: its writer, beyond its pid (see processIdentity.ts). */
interface LockRecord extends ProcessId {
  host?: string;
  description?: string;
  since?: string;
}

/** Longer than any CanvOS build, so a queued run outlasts the one it waits for. */
const DEFAULT_MAX_WAIT_MS = 3 * 3600_000;
/** Our own writes are atomic (link of a complete file), so only a crash or an older edgebuild leaves a partial lock. */
const DEFAULT_GRACE_MS = 5_000;

function maxWait(options: LockOptions): number {
  const env = Number(process.env.EDGEBUILD_LOCK_WAIT_SECONDS);
  return options.maxWaitMs ?? (Number.isFinite(env) && env >= 0 && process.env.EDGEBUILD_LOCK_WAIT_SECONDS !== '' ? env * 1000 : DEFAULT_MAX_WAIT_MS);
}

/** The lock's content and age, or undefined when it is gone. */
async function readLock(path: string): Promise<{ record: LockRecord | undefined; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let record: LockRecord | undefined;
    try {
      const parsed = JSON.parse(text) as LockRecord;
      if (Number.isSafeInteger(parsed.pid)) record = parsed;
    } catch {
      record = undefined; // empty (disk full) or garbage
    }
    return { record, ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { record: undefined, ageMs: 0 };
  }
}

/**
 * Whether a lock protects nothing any more. A holder in another container
 * cannot be checked: it is waited for, within the bound.
 */
function isStale(lock: { record: LockRecord | undefined; ageMs: number }, graceMs: number): boolean {
  if (!lock.record) return lock.ageMs >= graceMs;
  return processState(lock.record) === 'gone';
}

function describeLock(path: string, record: LockRecord | undefined): string {
  if (!record) return `an empty or unreadable lock file ${path}`;
  const elsewhere = processState(record) === 'elsewhere';
  const command = elsewhere ? undefined : processCommand(record.pid);
  const where = elsewhere ? ` in another container (host ${record.host ?? '?'})` : '';
  return `pid ${record.pid}${where}${command ? ` (${command})` : ''}: ${record.description ?? 'edgebuild'}, since ${record.since ?? '?'}`;
}

/** Creates the lock with its whole content at once: a complete temp file linked to the final name (link fails if it exists). */
async function tryCreate(path: string, description: string): Promise<boolean> {
  const temp = tempSibling(path);
  const record: LockRecord = { ...selfId(), host: hostname(), description, since: new Date().toISOString() };
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Takes an exclusive lock file and returns its release. A lock whose holder
 * is gone (dead pid, reused pid, or an empty file older than the grace) is
 * stale and taken over. Waiting says on whom and until when, and ends.
 */
export async function acquireLock(path: string, description: string, options: LockOptions): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  await sweepLeftovers(dirname(path), [`.${basename(path)}.tmp-`]); // lock files of killed runs, never linked
  const deadline = Date.now() + maxWait(options);
  let waitingOn: string | undefined;
  for (;;) {
    const lock = await readLock(path);
    if (!lock) {
      if (await tryCreate(path, description)) return () => rm(path, { force: true });
      continue; // taken by another run between the read and our attempt
    }
    if (isStale(lock, options.graceMs ?? DEFAULT_GRACE_MS)) {
      // Another waiter may have taken it over already: remove only the file we judged.
      await removeIfSame(path, lock);
      continue;
    }
    const holder = describeLock(path, lock.record);
    if (!options.wait) {
      throw new RuntimeError(`another edgebuild holds ${path} (${holder})`, { code: 'locked', fix: 'wait for it to finish, or run without --no-wait to queue' });
    }
    if (Date.now() >= deadline) {
      throw new RuntimeError(`gave up waiting for ${path}, held by ${holder}`, {
        code: 'lock-timeout',
        fix: `if that process is not an edgebuild run that is still working, remove ${path}; or wait longer with EDGEBUILD_LOCK_WAIT_SECONDS`,
      });
    }
    if (waitingOn !== holder) options.onWait?.(holder, new Date(deadline));
    waitingOn = holder;
    if (options.signal?.aborted) throw options.signal.reason;
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(options.pollMs ?? 500, deadline - Date.now()))));
  }
}

/** Removes a stale lock unless it changed since it was read (a waiter that took it over wrote a new one). */
async function removeIfSame(path: string, seen: { record: LockRecord | undefined }): Promise<void> {
  const now = await readLock(path);
  if (now && JSON.stringify(now.record) === JSON.stringify(seen.record)) await rm(path, { force: true });
}

/** Removes entries of `dir` named `<prefix><owner>-<hex>` whose owner process is gone (runs killed mid-way); returns them. */
export async function sweepLeftovers(dir: string, prefixes: readonly string[]): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const prefix = prefixes.find((p) => entry.startsWith(p));
    const match = prefix === undefined ? null : new RegExp(`^${OWNER_TAG}-[0-9a-f]+$`).exec(entry.slice(prefix.length));
    if (match && !stillRunning(ownerOf(match[1]!, match[2]))) {
      await rm(join(dir, entry), { recursive: true, force: true });
      removed.push(join(dir, entry));
    }
  }
  return removed;
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
