/**
 * Where an `iso` run writes, checked in step 1 before anything is written:
 * --out, --work-dir and the cache dir must be directories (or makeable), and
 * none may hold another, compared by real path. The checkout in the work dir
 * is replaced on every build (an --out in it lost the previous publish, and a
 * failed build left its ISO under final names); --out is what users publish,
 * upload and clear, so the work dir's checkout and lock must not be in it; a
 * cache is disposable, so nothing published may live in it.
 */
import { isAbsolute, join, relative } from 'node:path';
import { InputError } from '../errors.js';
import { directoryPath, type DirPath } from '../adapters/dirPath.js';

interface Role extends DirPath {
  flag: string;
  /** Why nothing else may live in it. */
  holds: string;
}

/** Whether `inner` is `outer` or below it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
}

const shown = (d: DirPath): string => (d.real === d.path ? d.path : `${d.path} (really ${d.real})`);
const article = (flag: string): string => (flag === '--out' ? 'an' : 'a');

function refuseOverlap(a: Role, b: Role): void {
  if (a.real === b.real) {
    throw new InputError(`${a.flag} and ${b.flag} are the same directory (${shown(a)})`, { code: 'dirs-overlap', fix: `give ${a.flag} and ${b.flag} separate directories, neither inside the other` });
  }
  for (const [inner, outer] of [
    [a, b],
    [b, a],
  ] as const) {
    if (within(inner.real, outer.real)) {
      throw new InputError(`${inner.flag} ${shown(inner)} is inside ${outer.flag} ${shown(outer)}, which holds ${outer.holds}`, {
        code: 'dirs-overlap',
        fix: `choose ${article(inner.flag)} ${inner.flag} outside ${outer.flag}`,
      });
    }
  }
}

export async function checkIsoDirs(dirs: { out: string; work: string; cache: string }): Promise<void> {
  const out: Role = { ...(await directoryPath(dirs.out, '--out')), flag: '--out', holds: 'what you publish' };
  const work: Role = { ...(await directoryPath(dirs.work, '--work-dir')), flag: '--work-dir', holds: 'the checkout, replaced on every build' };
  const cache: Role = { ...(await directoryPath(dirs.cache, '--cache-dir')), flag: '--cache-dir', holds: 'a disposable cache' };
  refuseOverlap(out, work);
  refuseOverlap(out, cache);
  // The cache may share the work dir (a CI layout), but not the checkout it is cloned into.
  const checkout = join(work.real, 'canvos');
  if (within(cache.real, checkout)) {
    throw new InputError(`--cache-dir ${shown(cache)} is inside the CanvOS checkout ${checkout}, which is replaced on every build`, { code: 'dirs-overlap', fix: `choose a --cache-dir outside ${checkout}` });
  }
}
