/**
 * The Go readers the tests check edgebuild's output with (test/fixtures/*\/main.go),
 * built offline in GOPATH mode against Debian's Go library packages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const GOPATH = '/usr/share/gocode';

/** Whether Go and the Debian Go library at `importPath` are installed (GOPATH mode, offline). */
export function haveGoLibrary(importPath: string): boolean {
  if (!existsSync(join(GOPATH, 'src', importPath))) return false;
  try {
    execFileSync('go', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Builds the reader in `sourceDir` (main.go) offline against Debian's Go libraries. */
export function buildGoReader(sourceDir: string, bin: string, tmp: string): void {
  execFileSync('go', ['build', '-o', bin, 'main.go'], {
    cwd: sourceDir,
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(tmp, 'gocache'), GOFLAGS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
