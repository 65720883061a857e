/** A minimal CanvOS-like bare repository for the benchmarks: an Earthfile, optional files, annotated tags. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'ignore' });

/** Makes `<dir>/work` and its bare clone `<dir>/CanvOS.git`; returns the bare repository's path. Files ending in .sh are executable. */
export function makeCanvosRepo(dir, { tags = ['v4.9.38'], files = {} } = {}) {
  const work = join(dir, 'work');
  mkdirSync(work);
  git(work, 'init', '-q');
  writeFileSync(join(work, 'Earthfile'), 'VERSION 0.6\nARG PE_VERSION=v4.9.38\n');
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(work, name), text);
    if (name.endsWith('.sh')) chmodSync(join(work, name), 0o755);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'release');
  for (const tag of tags) git(work, 'tag', '-a', tag, '-m', tag);
  const repo = join(dir, 'CanvOS.git');
  git(dir, 'clone', '-q', '--bare', work, repo);
  return repo;
}
