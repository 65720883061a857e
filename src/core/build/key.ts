/**
 * The build key: a hash of everything that decides what the ISO contains.
 * Same key, same inputs: a verified build with this key need not be redone.
 * Pure.
 */
import { sha256 } from '../digest.js';

export interface BuildKeyInput {
  /** The CanvOS commit checked out. */
  commit: string;
  /** The rendered `.arg` text. */
  argText: string;
  /** sha256 of the final user-data written into the checkout. */
  userDataSha256: string;
  /** Extra files: destination in the checkout and content hash. */
  files: readonly { to: string; sha256: string }[];
  target: string;
  /** edgebuild's major version: a new major may build differently. */
  edgebuildMajor: number;
}

/** Bump when the meaning of the key changes. */
const KEY_FORMAT = 1;

export function buildKey(input: BuildKeyInput): string {
  const files = [...input.files].sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0)).map((f) => [f.to, f.sha256]);
  // An array, not an object: JSON.stringify keeps array order, so the text is canonical.
  const canonical = JSON.stringify([KEY_FORMAT, input.commit, input.argText, input.userDataSha256, files, input.target, input.edgebuildMajor]);
  return sha256(canonical);
}
