/**
 * A site ISO on disk and its sha256. The file is written on the main thread (a few
 * synchronous calls to the page cache); the hash, most of the CPU a site costs, runs on
 * the image writer's worker thread (siteImageWorker.ts), so the second CPU hashes while
 * the main thread renders the next sites.
 */
import { closeSync, constants, fchmodSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import { sha256Hasher } from '../core/digest.js';

/** An image of `size` bytes: `lead` zero bytes, `rest`, then zeros. */
export interface Image {
  lead: number;
  rest: Uint8Array;
  size: number;
}

const BLOCK = 4096;
const ZEROS = Buffer.alloc(64 * 1024);
/** sha256 states after n zero bytes: a site ISO starts with its 32 KiB system area of zeros. */
const afterZeros = new Map<number, Hash>();

/** The whole blocks of zeros that start `head` (at most 64 KiB), in bytes: left as a hole, and their hash state reused. */
export function zeroLead(head: Uint8Array): number {
  let lead = 0;
  while (lead + BLOCK <= Math.min(head.length, ZEROS.length) && ZEROS.compare(head, lead, lead + BLOCK, 0, BLOCK) === 0) lead += BLOCK;
  return lead;
}

function hashAfterZeros(count: number): Hash {
  let state = afterZeros.get(count);
  if (!state) afterZeros.set(count, (state = sha256Hasher().update(ZEROS.subarray(0, count))));
  return state.copy();
}

/** The sha256 of all the image's bytes. */
export function hashImage({ lead, rest, size }: Image): string {
  if (lead % BLOCK !== 0 || lead > ZEROS.length) throw new Error(`internal: a lead of ${lead} zero bytes`);
  const hash = hashAfterZeros(lead).update(rest);
  for (let left = size - lead - rest.length; left > 0; left -= ZEROS.length) hash.update(left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left));
  return hash.digest('hex');
}

/**
 * Writes the image as a new file: the zeros before and after the rest of `head` are
 * holes where the file system supports them, and read as the same zeros either way.
 */
export function writeImageFile(path: string, { lead, rest, size }: Image, mode: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    for (let at = 0; at < rest.length; ) at += writeSync(fd, rest, at, rest.length - at, lead + at);
    ftruncateSync(fd, size);
    fchmodSync(fd, mode); // the umask may have narrowed `mode` at open()
  } finally {
    closeSync(fd);
  }
}
