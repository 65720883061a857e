/**
 * sha256 of bytes held in memory, as lowercase hex: the one home of the hash
 * (files on disk are streamed through it by adapters/checksum.ts).
 */
import { createHash, type Hash } from 'node:crypto';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** An incremental sha256, for data that arrives in pieces. */
export function sha256Hasher(): Hash {
  return createHash('sha256');
}
