/**
 * Directories the user names (--out, --work-dir, --cache-dir) as the file
 * system sees them: the real path, with the symlinks of the part that exists
 * resolved, so two names for one folder compare equal before any of them is
 * made; and a regular file is never taken for a directory.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

export interface DirPath {
  /** Absolute, as the user named it. */
  path: string;
  /** `path` with the symlinks of its longest existing prefix resolved. */
  real: string;
}

/** The longest prefix of `path` that exists, resolved, and the names below it. */
async function existingPrefix(path: string): Promise<{ existing: string; real: string; rest: string[] }> {
  const rest: string[] = [];
  for (let existing = path; ; existing = dirname(existing)) {
    try {
      return { existing, real: await realpath(existing), rest };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way; that file is the prefix, reported below.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(existing) === existing) throw error;
      rest.unshift(basename(existing));
    }
  }
}

/**
 * `path` (absolute) as a directory that exists or can be made: what exists of
 * it must be a directory, else exit 2 naming `flag` before anything is written.
 */
export async function directoryPath(path: string, flag: string): Promise<DirPath> {
  const { existing, real, rest } = await existingPrefix(path);
  if (!(await stat(real)).isDirectory()) {
    const what = rest.length ? `${flag} ${path}: ${existing} is a file, not a directory` : `${flag} ${path} is a file, not a directory`;
    throw new InputError(what, { code: 'not-a-directory', fix: `name a directory for ${flag} (it is made when missing)`, details: { path } });
  }
  return { path, real: join(real, ...rest) };
}
