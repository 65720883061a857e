/**
 * All-or-nothing output of `edgebuild sites`: every file is written into a
 * staging directory next to --out, and the staging directory becomes --out by
 * rename only when every site rendered. --out is replaced whole, so it never
 * mixes ISOs of two runs, and is never a directory edgebuild did not make.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { listJson, type ListJson } from '../core/prettyJson.js';
import { hashImage, writeImageFile, zeroLead } from './siteImage.js';
import type { ImageMessage } from './siteImageWorker.js';
import { readOwnManifest } from './ownManifest.js';
import { sweepLeftovers } from './files.js';
import { ownerTag } from './processIdentity.js';

export const MANIFEST = 'sites.json';
const MANIFEST_MODE = 0o644;

export type OutState = 'absent' | 'empty' | 'previous';

/** The files a previous run's sites.json lists. */
function listedFiles(text: string): { manifest: Set<string> } | { problem: string } {
  try {
    const manifest = JSON.parse(text) as { sites?: { file?: unknown }[] };
    return { manifest: new Set((manifest.sites ?? []).map((s) => String(s.file))) };
  } catch {
    return { problem: 'not a sites.json edgebuild wrote' };
  }
}

/**
 * What --out (a directory, or missing: see directoryPath) holds now. A
 * directory with anything but a previous run's output (sites.json and the
 * files it lists) is refused: replacing it would delete the user's files.
 */
export async function inspectOut(out: string): Promise<OutState> {
  let names: string[];
  try {
    names = await readdir(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (names.length === 0) return 'empty';
  const own = await readOwnManifest(join(out, MANIFEST), listedFiles);
  const listed = own.state === 'ours' ? own.manifest : new Set<string>();
  const foreign = names.filter((n) => n !== MANIFEST && !listed.has(n));
  if (own.state !== 'ours' || foreign.length > 0) {
    const example = foreign[0] ?? names[0]!;
    throw new InputError(`${out}: --out holds files edgebuild sites did not write (e.g. ${example})`, {
      code: 'sites-out',
      fix: 'choose a new or empty directory for --out; edgebuild replaces --out as a whole',
    });
  }
  return 'previous';
}

/** `.<out>.<tag>-<owner>-<hex>`: the owner (pid and start time) tells a later run whether the writer is gone. */
function sibling(out: string, tag: string): string {
  return join(dirname(out), `.${basename(out)}.${tag}-${ownerTag()}-${randomBytes(4).toString('hex')}`);
}

/**
 * Removes staging directories of runs that were killed: they hold rendered
 * user-data, registration tokens included. A previous --out set aside by a
 * run killed before its new output was in place is the user's last good
 * output: it goes only when --out exists again.
 */
export async function sweepStaging(out: string): Promise<string[]> {
  const prefix = `.${basename(out)}.`;
  return sweepLeftovers(dirname(out), existsSync(out) ? [`${prefix}tmp-`, `${prefix}old-`] : [`${prefix}tmp-`]);
}

/** A fresh staging directory on the same file system as --out, so rename() is atomic. */
export async function createStaging(out: string): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  const staging = sibling(out, 'tmp');
  await mkdir(staging); // fails if it exists; the umask decides the final mode as for any mkdir
  return staging;
}

/**
 * sites.json, written into the staging directory entry by entry as the sites are
 * written: the same text as `JSON.stringify(document, null, 2)` with every entry in
 * `sites`, without holding it. Synchronous: a few KiB at a time, to the page cache.
 */
export class ManifestWriter {
  private readonly fd: number;
  private readonly json: ListJson;
  private count = 0;
  /**
   * Text waiting to be written, as bytes in one buffer for the whole run: text held as a
   * growing string lived through many scavenges and was promoted to V8's old generation
   * (about 0.5 KiB of RSS per site, all garbage).
   */
  private readonly pending = Buffer.alloc(64 * 1024);
  private used = 0;
  private open = true;

  constructor(staging: string, document: Record<string, unknown> & { sites: unknown[] }) {
    this.fd = openSync(join(staging, MANIFEST), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, MANIFEST_MODE);
    this.json = listJson(document, 'sites');
    this.append(this.json.before);
  }

  add(entry: object): void {
    this.append(this.json.item(entry, this.count++));
  }

  private append(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    if (this.used + length > this.pending.length) this.flush();
    if (length > this.pending.length) this.writeAll(Buffer.from(text, 'utf8'));
    else this.used += this.pending.write(text, this.used, 'utf8');
  }

  private flush(): void {
    this.writeAll(this.pending.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
  }

  /** Ends the document and closes the file; with `complete` false (a failed run), only closes it. */
  finish(complete = true): void {
    if (!this.open) return;
    this.open = false;
    try {
      if (complete) {
        this.append(`${this.json.after(this.count)}\n`);
        this.flush();
        fchmodSync(this.fd, MANIFEST_MODE); // the umask may have narrowed the mode at open()
      }
    } finally {
      closeSync(this.fd);
    }
  }
}

/** Images whose bytes wait in the shared buffer for their hash, and the room for each. */
const SLOTS = 32;
const SLOT_BYTES = 64 * 1024;

/**
 * Writes site ISOs into the staging directory and hashes them on a worker thread, in the
 * order given: the main thread renders the next sites meanwhile. Images go to the worker
 * in batches (those written in one turn of the event loop) and their hashes come back so;
 * their bytes go through a fixed shared buffer, so memory does not grow with their number.
 */
export class ImageWriter {
  /** Hashes in flight beyond which images are copied into their message instead. */
  static readonly capacity = SLOTS;
  private readonly shared = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly slots = new Uint8Array(this.shared);
  /** None for a few images: starting a thread (~30 ms, ~10 MiB) costs more than hashing them here. */
  private readonly worker: Worker | undefined;
  /** Hashes asked for, oldest first. */
  private readonly waiting: { resolve(sha256: string): void; reject(error: Error): void }[] = [];
  private next = 0;
  private batch: ImageMessage[] = [];
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;

  /** `images`: how many are to come (a worker thread only for many). */
  constructor(
    private readonly staging: string,
    images: number,
  ) {
    if (images < 2 * SLOTS) return;
    // A small young generation: the worker's garbage is a message per batch, and its heap is RSS.
    this.worker = new Worker(new URL('./siteImageWorker.js', import.meta.url), { workerData: this.shared, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    this.worker.on('message', (hashes: string[]) => {
      for (const sha256 of hashes) this.waiting.shift()?.resolve(sha256);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('the site image writer stopped')));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.waiting.splice(0)) job.reject(this.failure);
  }

  /**
   * Writes `head` then zeros up to `size` as the new file `name` (a file system error is
   * thrown here); resolves with the sha256 of its bytes.
   */
  write(name: string, head: Uint8Array, size: number, mode: number): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const lead = zeroLead(head);
    const rest = head.subarray(lead);
    writeImageFile(join(this.staging, name), { lead, rest, size }, mode);
    if (!this.worker) return Promise.resolve(hashImage({ lead, rest, size }));
    // Hashes resolve in order: with fewer than SLOTS waiting, this slot's last image is hashed.
    const offset = (this.next++ % SLOTS) * SLOT_BYTES;
    const fits = this.waiting.length < SLOTS && rest.length <= SLOT_BYTES;
    if (fits) this.slots.set(rest, offset);
    if (this.batch.length === 0) queueMicrotask(() => this.send());
    // Else a copy: `head` may be a scratch buffer its caller fills again once this returns.
    this.batch.push({ lead, size, rest: fits ? { offset, length: rest.length } : new Uint8Array(rest) });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private send(): void {
    const batch = this.batch;
    this.batch = [];
    if (!this.closed) this.worker?.postMessage(batch);
  }

  /** Stops the worker (again: a no-op); hashes not yet computed are dropped. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.worker?.removeAllListeners('exit');
      await this.worker?.terminate();
      this.fail(new Error('the site image writer was closed'));
    })();
    return this.closed;
  }
}

/** Makes the staging directory --out: rename into place, swapping out a previous run. */
export async function publishStaging(staging: string, out: string, state: OutState): Promise<void> {
  if (state === 'empty') await rmdir(out);
  if (state !== 'previous') {
    await rename(staging, out);
    return;
  }
  const old = sibling(out, 'old');
  await rename(out, old);
  try {
    await rename(staging, out);
  } catch (error) {
    await rename(old, out).catch(() => undefined);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

export async function discardStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}
