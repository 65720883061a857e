/**
 * Runs a CommonJS file (the CLI's one-file bundle, dist/cli/edgebuild.cjs)
 * with a V8 code cache, what Node.js 22's `module.enableCompileCache()` does
 * for every module and Node.js 20 does for none: the second run of a command
 * deserializes the functions the first one compiled instead of parsing and
 * compiling them again (BENCHMARKS.md, issue 17).
 *
 * A cache is code this process will run, so it is used only when:
 * - its name and header match the SHA-256 of exactly what is compiled (the
 *   wrapper and the file's bytes), the file's path, this Node.js version and
 *   architecture (V8 itself checks only the source's length), and its
 *   payload matches the SHA-256 it carries (a torn or damaged file);
 * - its folder is a real directory (not a symlink) this user owns that no one
 *   else may write, and the file, opened without following a symlink, is a
 *   regular file this user owns with one link that no one else may write
 *   (a cache someone else wrote is never read).
 * V8 checks it again and may still reject it. Anything else is ignored and
 * written afresh after the next successful run. Writing is best effort: a
 * read-only or full disk costs speed, never the command. The cache holds the
 * compiled code of the file and its path: no input, value or secret of a run.
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { sha256Hasher } from '../core/digest.js';

const MAGIC = 'edgebuild code cache 2\n';
const SHA256_BYTES = 32;
const NAME = /^([0-9a-f]{16})-[a-z-]+\.bin(\.[0-9a-f]+\.tmp)?$/;
/** A temporary file older than this was left by a run that was killed while writing it. */
const STALE_TEMP_MS = 10 * 60_000;
/** Other builds' caches kept beside this one's (two Node.js versions, a global install and a checkout). */
const OTHER_BUILDS_KEPT = 3;

export interface CachedScript<T> {
  /** What the file put on `module.exports`. */
  exports: T;
  /** True when V8 took the cached code; false on a first run, a changed file, or a rejected, damaged or foreign cache. */
  cacheUsed: boolean;
  /** Writes the cache when it was not used: call after the work went well, so the functions a whole run compiles are in it. Never throws. */
  save(): void;
}

export interface CompileCacheOptions {
  /** The cache directory (absolute); undefined: no cache (the file still runs). */
  dir: string | undefined;
  /** Which use of the file this is (a command name, `[a-z-]+`; anything else: no cache): each gets the functions its own runs compile. */
  variant: string;
  /**
   * `__edgebuildImport(specifier)` in the file: the caller's `import()`. A script compiled by vm has none of
   * its own on Node.js 20 without an experimental flag or warning; scripts/cli-bundle.mjs rewrites the bundle's.
   */
  importModule: (specifier: string) => Promise<unknown>;
}

/** Where the code cache lives: $EDGEBUILD_COMPILE_CACHE (an absolute path), else `compile/` in edgebuild's cache; `0`, `off`, a relative path or root by sudo: none. */
export function compileCacheDir(env: Record<string, string | undefined>, cacheDir: string): string | undefined {
  const setting = env.EDGEBUILD_COMPILE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  // root by sudo: the cache folder is most likely the invoking user's (HOME kept); root writes nothing there.
  if (process.getuid?.() === 0 && env.SUDO_UID) return undefined;
  if (setting) return isAbsolute(setting) ? setting : undefined;
  return join(cacheDir, 'compile');
}

const sha256Bytes = (data: Uint8Array): Buffer => sha256Hasher().update(data).digest();
const uid = (): number | undefined => process.getuid?.();
const othersMayWrite = (mode: number): boolean => (mode & 0o022) !== 0;

/** A real directory this user owns that no one else may write. */
function privateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && (uid() === undefined || st.uid === uid()) && !othersMayWrite(st.mode);
  } catch {
    return false;
  }
}

/** The cached code for `key`, when the file is this user's own, whole, and what it says; marked as used. */
function readCache(file: string, key: Buffer): Buffer | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the CLI before fstat can refuse it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || (uid() !== undefined && st.uid !== uid()) || othersMayWrite(st.mode) || st.nlink !== 1) return undefined;
    const payload = payloadOf(readFileSync(fd), key);
    // Marked as used, on the file that was read: pruning keeps the builds in use, not the ones written last.
    if (payload) futimesSync(fd, new Date(), new Date());
    return payload;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The code in a cache file's bytes: its header names `key` and the SHA-256 of what follows matches. */
function payloadOf(data: Buffer, key: Buffer): Buffer | undefined {
  const head = MAGIC.length;
  if (data.length <= head + 2 * SHA256_BYTES || data.toString('latin1', 0, head) !== MAGIC) return undefined;
  if (!data.subarray(head, head + SHA256_BYTES).equals(key)) return undefined;
  const payload = data.subarray(head + 2 * SHA256_BYTES);
  return data.subarray(head + SHA256_BYTES, head + 2 * SHA256_BYTES).equals(sha256Bytes(payload)) ? payload : undefined;
}

/**
 * Makes `dir` (0700). As root, only below a folder root owns: never a root-owned folder in
 * another user's tree (a root shell with another user's HOME or XDG_CACHE_HOME). Anyone
 * else can only make folders they own.
 */
function makeDir(dir: string): void {
  if (uid() === 0) {
    let existing = dir;
    for (;;) {
      try {
        if (statSync(existing).uid !== 0) return;
        break;
      } catch {
        const parent = dirname(existing);
        if (parent === existing) return;
        existing = parent;
      }
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function writeCache(dir: string, prefix: string, file: string, key: Buffer, payload: Buffer): void {
  makeDir(dir);
  if (!privateDir(dir)) return;
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      // No fsync: a torn file fails its checksum and is written again.
      for (const part of [Buffer.from(MAGIC, 'latin1'), key, sha256Bytes(payload), payload]) writeSync(fd, part);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
  prune(dir, prefix);
}

/** Keeps this build's caches and the newest few other builds'; removes temporary files a killed run left. */
function prune(dir: string, prefix: string): void {
  const builds = new Map<string, { newest: number; files: string[] }>();
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    try {
      const mtime = statSync(join(dir, name)).mtimeMs;
      if (m[2] !== undefined) {
        if (now - mtime > STALE_TEMP_MS) unlinkSync(join(dir, name));
        continue;
      }
      if (m[1] === prefix) continue;
      const build = builds.get(m[1]!) ?? { newest: 0, files: [] };
      build.newest = Math.max(build.newest, mtime);
      build.files.push(name);
      builds.set(m[1]!, build);
    } catch {
      // another process took it
    }
  }
  for (const build of [...builds.values()].sort((a, b) => b.newest - a.newest).slice(OTHER_BUILDS_KEPT)) {
    for (const name of build.files) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // another process took it
      }
    }
  }
}

/** Compiles and runs a CommonJS `file` as Node.js would (`require`, `module`, `exports`, `__filename` relative to it), through the code cache. */
export function runCachedScript<T>(file: string, options: CompileCacheOptions): CachedScript<T> {
  const bytes = readFileSync(file);
  // The bundle is ASCII (esbuild escapes the rest): a one-byte string, decoded at memcpy speed.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const head = '(function (exports, require, module, __filename, __dirname, __edgebuildImport) {';
  const tail = '\n})';
  // Everything the compiled code depends on; V8 checks a cache against the source's length only.
  const key = sha256Hasher().update(`${MAGIC}${process.version} ${process.arch}\n${file}\n${head}\n${tail}\n`).update(bytes).digest();
  const prefix = key.toString('hex', 0, 8);
  const usable = options.dir !== undefined && /^[a-z][a-z-]{0,31}$/.test(options.variant);
  const cacheFile = usable ? join(options.dir!, `${prefix}-${options.variant}.bin`) : undefined;
  const cachedData = cacheFile !== undefined && privateDir(options.dir!) ? readCache(cacheFile, key) : undefined;
  const script = new Script(`${head}${source}${tail}`, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file), options.importModule);
  return {
    exports: module.exports,
    cacheUsed,
    save() {
      if (cacheUsed || cacheFile === undefined) return;
      try {
        writeCache(options.dir!, prefix, cacheFile, key, script.createCachedData());
      } catch {
        // Best effort: the next run compiles again.
      }
    },
  };
}
