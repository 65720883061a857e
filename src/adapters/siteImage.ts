/**
 * Writes one site ISO and returns its sha256: run on the image writer's worker thread
 * (siteImageWorker.ts), so hashing uses the second CPU while the main thread renders the
 * next site. Synchronous calls: a site ISO is a few dozen KiB written to the page cache.
 */
import { closeSync, constants, fchmodSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import { sha256Hasher } from '../core/digest.js';

/** An image of `size` bytes: `head`, then zeros; `head` starts with `lead` zero bytes. */
export interface ImageJob {
  path: string;
  head: Uint8Array;
  lead: number;
  size: number;
  mode: number;
}

const BLOCK = 4096;
const ZEROS = Buffer.alloc(64 * 1024);
/** sha256 states after n zero bytes: a site ISO starts with its 32 KiB system area of zeros. */
const afterZeros = new Map<number, Hash>();

/** The whole blocks of zeros that start `head` (at most 64 KiB), in bytes: left as a hole, and their hash state reused. */
export function zeroLead(head: Uint8Array): number {
  let lead = 0;
  while (lead + BLOCK <= Math.min(head.length, ZEROS.length) && Buffer.compare(head.subarray(lead, lead + BLOCK), ZEROS.subarray(0, BLOCK)) === 0) lead += BLOCK;
  return lead;
}

function hashAfterZeros(count: number): Hash {
  let state = afterZeros.get(count);
  if (!state) afterZeros.set(count, (state = sha256Hasher().update(ZEROS.subarray(0, count))));
  return state.copy();
}

/**
 * Writes the image (the zeros around `bytes` are holes where the file system supports
 * them, and read as the same zeros either way); returns the sha256 of all its bytes.
 */
export function writeImage({ path, head, lead, size, mode }: ImageJob): string {
  if (lead % BLOCK !== 0 || lead > ZEROS.length) throw new Error(`internal: a lead of ${lead} zero bytes`);
  const hash = hashAfterZeros(lead).update(head.subarray(lead));
  for (let left = size - head.length; left > 0; left -= ZEROS.length) hash.update(left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left));
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    for (let at = lead; at < head.length; ) at += writeSync(fd, head, at, head.length - at, at);
    ftruncateSync(fd, size);
    fchmodSync(fd, mode); // the umask may have narrowed `mode` at open()
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
