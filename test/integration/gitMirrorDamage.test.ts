/**
 * A damaged cache mirror inside the user's own git repository (the default
 * cache ~/.cache/edgebuild sits inside every dotfiles repo): git must act on
 * the mirror or fail, never on the enclosing repository; a damaged mirror is
 * moved aside and rebuilt; unreadable objects are one line with the fix.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';
import { ensureMirror, mirrorPath } from '../../src/adapters/git.js';
import { createCanvosRepo, git, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';

let canvos: FixtureRepo;
let root: string;

beforeAll(() => {
  canvos = createCanvosRepo([{ name: 'v4.5.15' }, { name: 'v4.6.21' }]);
  root = mkdtempSync(join(tmpdir(), 'edgebuild-damage-'));
});
afterAll(() => {
  canvos.cleanup();
  rmSync(root, { recursive: true, force: true });
});

/** The user's own repository: two tags of theirs and an origin (without those tags, as a fresh remote is). */
function userRepo(name: string): string {
  const home = join(root, name);
  const origin = join(root, `${name}-origin.git`);
  mkdirSync(home);
  git(home, 'init', '-q');
  writeFileSync(join(home, 'dotfile'), 'mine\n');
  writeFileSync(join(home, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
  git(home, 'add', 'dotfile');
  git(home, 'commit', '-q', '-m', 'mine');
  git(home, 'tag', 'mine-1');
  git(home, 'tag', '-a', 'mine-2', '-m', 'mine 2');
  git(root, 'init', '-q', '--bare', origin);
  git(home, 'remote', 'add', 'origin', origin);
  git(home, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  return home;
}

const dryRun = (cwd: string) =>
  runCli(['iso', '--dry-run', '--repo', canvos.path, '--tag', 'v4.6.21', '--user-data', 'user-data.yaml', '--cache-dir', '.cache/eb', '--skip-check', CHECK_IDS.join(',')], { cwd });

const mirrorIn = (home: string) => mirrorPath(join(home, '.cache', 'eb'), canvos.url);

describe('a damaged mirror inside the user repository', () => {
  test('without HEAD: the user tags survive, the mirror is moved aside and rebuilt with a warning', async () => {
    const home = userRepo('dotfiles');
    expect((await dryRun(home)).code).toBe(0);
    const mirror = mirrorIn(home);
    unlinkSync(join(mirror, 'HEAD'));

    const again = await dryRun(home);
    expect(again.stderr).toMatch(new RegExp(`warning: the cached mirror ${mirror} was damaged \\(it has no HEAD\\); moved it to ${mirror}\\.damaged-\\S+ and fetching a fresh copy`));
    expect(again.code).toBe(0);
    expect(git(home, 'tag').split('\n')).toEqual(['mine-1', 'mine-2']);
    expect(git(home, 'rev-parse', 'mine-2^{}')).toBe(git(home, 'rev-parse', 'HEAD'));
    // Moved aside, not deleted; the new mirror is whole.
    const aside = readdirSync(join(home, '.cache', 'eb', 'git')).filter((n) => n.includes('.damaged-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(join(mirror, 'HEAD'))).toBe(true);
    expect(git(mirror, 'tag').split('\n')).toEqual(['v4.5.15', 'v4.6.21']);
  });

  test('an empty folder or a folder inside another repository is no mirror: replaced, never used', async () => {
    const home = userRepo('emptymirror');
    const cache = join(home, '.cache', 'eb');
    const mirror = mirrorPath(cache, canvos.url);
    mkdirSync(mirror, { recursive: true });
    const result = await ensureMirror(canvos.url, cache);
    expect(result.warnings[0]).toMatch(/was damaged \(it has no HEAD\)/);
    expect(git(home, 'tag').split('\n')).toEqual(['mine-1', 'mine-2']);
    expect(git(mirror, 'rev-parse', '--is-bare-repository')).toBe('true');
  });

  test('a mirror of another origin is replaced', async () => {
    const cache = join(root, 'other-origin-cache');
    const mirror = mirrorPath(cache, canvos.url);
    mkdirSync(join(cache, 'git'), { recursive: true });
    git(root, 'init', '-q', '--bare', mirror);
    git(mirror, 'remote', 'add', 'origin', 'https://example.invalid/other.git');
    const result = await ensureMirror(canvos.url, cache);
    expect(result.warnings[0]).toMatch(/was damaged \(its origin is https:\/\/example\.invalid\/other\.git\)/);
    expect(git(mirror, 'config', 'remote.origin.url')).toBe(canvos.url);
  });
});

describe('objects git cannot read', () => {
  const expectOneLine = (stderr: string, mirror: string) => {
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(mirror);
    expect(errors[0]).toMatch(new RegExp(`Fix: remove ${mirror}, or run with a fresh --cache-dir$`));
  };

  test.each(['Earthfile', 'README.md'])('a truncated loose object (%s) is exit 1 with the fix', async (file) => {
    const home = userRepo(`loose-${file}`);
    expect((await dryRun(home)).code).toBe(0);
    const mirror = mirrorIn(home);
    const object = git(mirror, 'rev-parse', `v4.6.21:${file}`);
    const path = join(mirror, 'objects', object.slice(0, 2), object.slice(2));
    expect(statSync(path).isFile()).toBe(true);
    chmodSync(path, 0o644);
    truncateSync(path, 10);
    const result = await dryRun(home);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, mirror);
    expect(git(home, 'tag').split('\n')).toEqual(['mine-1', 'mine-2']);
  });

  test('a truncated pack: fetched again from origin, else (offline) exit 1 with the fix', async () => {
    const home = userRepo('pack');
    const origin = createCanvosRepo([{ name: 'v4.6.21' }], join(root, 'pack-canvos'));
    const run = () => runCli(['iso', '--dry-run', '--repo', origin.path, '--tag', 'v4.6.21', '--user-data', 'user-data.yaml', '--cache-dir', '.cache/eb', '--skip-check', CHECK_IDS.join(',')], { cwd: home });
    expect((await run()).code).toBe(0);
    const mirror = mirrorPath(join(home, '.cache', 'eb'), origin.url);
    const truncatePack = () => {
      execFileSync('git', ['--git-dir', mirror, 'repack', '-a', '-d', '-q']);
      execFileSync('git', ['--git-dir', mirror, 'prune-packed']);
      const pack = readdirSync(join(mirror, 'objects', 'pack')).find((n) => n.endsWith('.pack'))!;
      const path = join(mirror, 'objects', 'pack', pack);
      chmodSync(path, 0o644);
      truncateSync(path, Math.floor(statSync(path).size / 2));
    };
    truncatePack();
    expect((await run()).code).toBe(0); // git fetched the unreadable objects again
    truncatePack();
    rmSync(origin.path, { recursive: true });
    const result = await run();
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, mirror);
    expect(git(home, 'tag').split('\n')).toEqual(['mine-1', 'mine-2']);
  });
});
