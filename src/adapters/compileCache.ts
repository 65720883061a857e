/**
 * Runs a CommonJS file (the CLI's one-file bundle, dist/cli/edgebuild.cjs)
 * with a V8 code cache, what Node.js 22's `module.enableCompileCache()` does
 * for every module and Node.js 20 does for none: the second run of a command
 * deserializes the functions the first one compiled instead of parsing and
 * compiling them again (BENCHMARKS.md, issue 17).
 *
 * The cache is disposable and never trusted for meaning: a file is used only
 * when its name and header match the exact source (its SHA-256), this Node.js
 * version and architecture, and the SHA-256 of its payload matches, in a
 * directory only this user can write; V8 checks it again and may still reject
 * it. Anything else (damaged, truncated, another build's, unreadable) is
 * ignored and written afresh. Writing is best effort: a read-only or full
 * disk costs speed, never the command. The cache holds compiled code of the
 * bundle's source, no runtime values: no input, path or secret of a run.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const MAGIC = 'edgebuild code cache 1\n';
const SHA256_BYTES = 32;
const NAME = /^([0-9a-f]{16})-[a-z-]+\.bin(\.\d+\.tmp)?$/;
/** A temporary file older than this was left by a run that was killed while writing it. */
const STALE_TEMP_MS = 10 * 60_000;

export interface CachedScript<T> {
  /** What the file put on `module.exports`. */
  exports: T;
  /** True when V8 took the cached code; false on a first run, a changed file, or a rejected or damaged cache. */
  cacheUsed: boolean;
  /** Writes the cache when it was not used: call after the work, so the functions the run compiled are in it. Never throws. */
  save(): void;
}

export interface CompileCacheOptions {
  /** The cache directory; undefined: no cache (the file still runs). */
  dir: string | undefined;
  /** Which use of the file this is (a command name, `[a-z-]+`; anything else: no cache): each gets the functions its own runs compile. */
  variant: string;
  /**
   * `__edgebuildImport(specifier)` in the file: the caller's `import()`. A script compiled by vm has none of
   * its own on Node.js 20 without an experimental flag or warning; scripts/cli-bundle.mjs rewrites the bundle's.
   */
  importModule: (specifier: string) => Promise<unknown>;
}

/** Where the code cache lives: $EDGEBUILD_COMPILE_CACHE, else `compile/` in edgebuild's cache; `0` or `off` turns it off. */
export function compileCacheDir(env: Record<string, string | undefined>, cacheDir: string): string | undefined {
  const setting = env.EDGEBUILD_COMPILE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  return setting || join(cacheDir, 'compile');
}

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** A directory this user owns that no one else may write, or none. */
function privateDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The cached code for `key`, when the file is whole and is what it says. */
function readCache(file: string, key: Buffer): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  const head = MAGIC.length;
  if (data.length <= head + 2 * SHA256_BYTES || data.toString('latin1', 0, head) !== MAGIC) return undefined;
  if (!data.subarray(head, head + SHA256_BYTES).equals(key)) return undefined;
  const payload = data.subarray(head + 2 * SHA256_BYTES);
  return data.subarray(head + SHA256_BYTES, head + 2 * SHA256_BYTES).equals(sha256(payload)) ? payload : undefined;
}

function writeCache(dir: string, prefix: string, file: string, key: Buffer, payload: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!privateDir(dir)) return;
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      for (const part of [Buffer.from(MAGIC, 'latin1'), key, sha256(payload), payload]) writeSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // not created
    }
    throw error;
  }
  // Another build's caches (an older edgebuild) go: one build's are kept; so do temporary files a killed run left.
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    try {
      if (m[1] !== prefix || (m[2] !== undefined && now - statSync(join(dir, name)).mtimeMs > STALE_TEMP_MS)) unlinkSync(join(dir, name));
    } catch {
      // another process took it
    }
  }
}

/** Compiles and runs a CommonJS `file` as Node.js would (`require`, `module`, `exports`, `__filename` relative to it), through the code cache. */
export function runCachedScript<T>(file: string, options: CompileCacheOptions): CachedScript<T> {
  const bytes = readFileSync(file);
  // V8 checks a cache against the source's length only: the name and header carry the whole source's hash.
  const key = createHash('sha256').update(`${process.version} ${process.arch}\n`).update(bytes).digest();
  // The bundle is ASCII (esbuild escapes the rest): a one-byte string, decoded at memcpy speed.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const prefix = key.toString('hex', 0, 8);
  const cacheFile = options.dir === undefined || !/^[a-z][a-z-]{0,31}$/.test(options.variant) ? undefined : join(options.dir, `${prefix}-${options.variant}.bin`);
  const cachedData = cacheFile !== undefined && privateDir(options.dir!) ? readCache(cacheFile, key) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __edgebuildImport) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
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
