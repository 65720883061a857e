/**
 * Whether the manifest in a folder the user named as --out is one edgebuild
 * wrote. `iso` and `sites` publish into such folders and replace their own
 * manifest there; a file they cannot recognise as theirs (a web app's
 * manifest.json) is the user's, and is never replaced.
 */
import { readFile } from 'node:fs/promises';

export type OwnManifest<T> = { state: 'absent' } | { state: 'ours'; manifest: T } | { state: 'foreign'; reason: string };

/** Reads `path` and recognises it with `check` (pure: the manifest, or what makes it someone else's). */
export async function readOwnManifest<T>(path: string, check: (text: string) => { manifest: T } | { problem: string }): Promise<OwnManifest<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent' };
    return { state: 'foreign', reason: code === 'EISDIR' ? 'it is a directory' : `it cannot be read: ${code}` };
  }
  const checked = check(text);
  return 'problem' in checked ? { state: 'foreign', reason: checked.problem } : { state: 'ours', manifest: checked.manifest };
}
