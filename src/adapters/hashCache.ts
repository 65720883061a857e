/**
 * A content-hash cache for the files a build config copies into the
 * checkout (`files:`): an up-to-date rerun must not read a 1 GiB folder
 * again to learn that it did not change. Entries are keyed by the absolute
 * path and checked against the file's size, mtime, ctime, inode and device
 * (nanoseconds); any difference is a miss and the file is hashed again.
 * The cache only ever saves work: a missing, stale or corrupt cache file is
 * an empty cache, and failing to write it is not an error.
 */
import type { BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256File } from './checksum.js';
import { atomicWriteFile } from './files.js';

export const HASH_CACHE_FILE = 'file-hashes.json';
/** Entries kept across runs, newest first; older ones are hashed again when next needed. */
const MAX_ENTRIES = 100_000;
/**
 * A file whose mtime is less than this before the hash is not cached: a
 * write in the same clock tick as our stat would leave size and mtime
 * unchanged ("racily clean", as git calls it).
 */
const SETTLED_NS = 2_000_000_000n;

interface Entry {
  /** `size mtimeNs ctimeNs ino dev` when the file was hashed. */
  stamp: string;
  sha256: string;
}

/** The clock the settle rule compares mtimes with, in nanoseconds. */
export const hashClockNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

const stampOf = (s: BigIntStats): string => `${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.ino} ${s.dev}`;

function parseEntries(text: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return entries;
  }
  const { version, files } = (typeof data === 'object' && data !== null ? data : {}) as { version?: unknown; files?: unknown };
  if (version !== 1 || typeof files !== 'object' || files === null) return entries;
  for (const [path, entry] of Object.entries(files)) {
    const { stamp, sha256 } = (entry ?? {}) as Partial<Entry>;
    if (typeof stamp === 'string' && typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256)) entries.set(path, { stamp, sha256 });
  }
  return entries;
}

export class FileHashCache {
  /** Files actually read and hashed through this cache (the misses); for tests and benchmarks. */
  hashed = 0;
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** The cache in `dir` (the cache directory); undefined `dir`: a cache that remembers nothing. */
  static async load(dir: string | undefined): Promise<FileHashCache> {
    if (!dir) return new FileHashCache(undefined, new Map());
    const file = join(dir, HASH_CACHE_FILE);
    const text = await readFile(file, 'utf8').catch(() => '');
    return new FileHashCache(file, parseEntries(text));
  }

  /** The sha256 of the file at the absolute `path`: from the cache when the file is unchanged, else read. */
  async sha256(file: string, signal?: AbortSignal): Promise<string> {
    return (await this.hash(file, signal)).sha256;
  }

  /** The sha256 and size of `file`, as sha256File gives them: from the cache when the file is unchanged, else read. */
  async hash(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
    const path = resolve(file);
    const before = await stat(path, { bigint: true });
    const stamp = stampOf(before);
    const known = this.entries.get(path);
    if (known?.stamp === stamp) {
      // Most recently used last: trimming drops the oldest.
      this.entries.delete(path);
      this.entries.set(path, known);
      return { sha256: known.sha256, size: Number(before.size) };
    }
    const startedNs = hashClockNs();
    const { sha256, size } = await sha256File(path, signal);
    this.hashed++;
    // The stamp taken before reading: a change while hashing makes the next stat differ.
    this.remember(path, before, sha256, startedNs);
    return { sha256, size };
  }

  /**
   * Remembers the sha256 a caller computed itself from the bytes of `file`,
   * read from `startedNs` (hashClockNs()) on: `edgebuild verify` read the
   * whole file anyway. The stamp is taken now; a file changed after the read
   * began has a newer mtime than that and is not remembered.
   */
  async record(file: string, sha256: string, startedNs: bigint): Promise<void> {
    const path = resolve(file);
    this.remember(path, await stat(path, { bigint: true }), sha256, startedNs);
  }

  private remember(path: string, stats: BigIntStats, sha256: string, startedNs: bigint): void {
    this.entries.delete(path);
    // A later write changes the mtime to "now", which differs from an mtime this old.
    if (stats.mtimeNs < startedNs - SETTLED_NS) {
      this.entries.set(path, { stamp: stampOf(stats), sha256 });
      this.changed = true;
    }
  }

  /** Writes the cache back (atomically) when it learnt something; a failure only costs the next run a re-hash. */
  async save(): Promise<void> {
    if (!this.file || !this.changed) return;
    const kept = [...this.entries].slice(-MAX_ENTRIES);
    const text = JSON.stringify({ version: 1, files: Object.fromEntries(kept) });
    await atomicWriteFile(this.file, text, 0o600).catch(() => undefined);
    this.changed = false;
  }
}
