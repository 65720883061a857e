/**
 * The code cache the built CLI runs its bundle through (src/adapters/compileCache.ts):
 * V8 takes it on the next run; a damaged, truncated, foreign or unsafe cache is
 * never used, only replaced; a cache that cannot be written costs nothing but
 * speed. Each case runs a real script in a child Node.js, as the CLI does.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-compile-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A script with enough code for V8 to cache, a dynamic import through the caller (the bundle imports execa that way) and a result.
const SCRIPT = `"use strict";
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
module.exports.answer = async () => (await __edgebuildImport('node:path')).posix.join('a', String(fib(20)), require('node:path').basename(__filename));
`;

/** Runs `file` through the built adapter's runCachedScript in a child Node.js, as main.ts does, and saves the cache after the work. */
function load(file: string, cacheDir: string | undefined, variant = 'iso'): { answer: string; cacheUsed: boolean } {
  const code = `
    const { runCachedScript } = await import(${JSON.stringify(join(ROOT, 'dist/adapters/compileCache.js'))});
    const s = runCachedScript(${JSON.stringify(file)}, { dir: ${JSON.stringify(cacheDir)}, variant: ${JSON.stringify(variant)}, importModule: (s) => import(s) });
    const answer = await s.exports.answer();
    s.save();
    console.log(JSON.stringify({ answer, cacheUsed: s.cacheUsed }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { answer: string; cacheUsed: boolean };
}

let n = 0;
function fresh(source = SCRIPT): { file: string; cache: string } {
  const case_ = join(dir, `case-${++n}`);
  mkdirSync(case_);
  writeFileSync(join(case_, 'script.cjs'), source);
  return { file: join(case_, 'script.cjs'), cache: join(case_, 'cache') };
}
const cacheFiles = (cache: string): string[] => (existsSync(cache) ? readdirSync(cache).sort() : []);

beforeAll(() => {
  expect(existsSync(join(ROOT, 'dist/adapters/compileCache.js')), 'npm run build first').toBe(true);
});

describe('runCachedScript', () => {
  test('the first run writes the cache (0600 in a 0700 folder), the second takes it, both with the same result', () => {
    const { file, cache } = fresh();
    const first = load(file, cache);
    expect(first).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    const [name] = cacheFiles(cache);
    expect(name).toMatch(/^[0-9a-f]{16}-iso\.bin$/);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache, name!)).mode & 0o777).toBe(0o600);
    const written = statSync(join(cache, name!));
    const dayAgo = new Date(Date.now() - 86_400_000);
    utimesSync(join(cache, name!), dayAgo, dayAgo);
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: true });
    // Taken, not rewritten (the same file), and marked as used (pruning keeps the builds in use).
    expect(statSync(join(cache, name!)).ino).toBe(written.ino);
    expect(statSync(join(cache, name!)).mtimeMs).toBeGreaterThan(dayAgo.getTime() + 3_600_000);
  });

  test('each variant has its own file', () => {
    const { file, cache } = fresh();
    load(file, cache, 'iso');
    load(file, cache, 'registries');
    expect(cacheFiles(cache).map((f) => f.slice(17))).toEqual(['iso.bin', 'registries.bin']);
    expect(load(file, cache, 'registries').cacheUsed).toBe(true);
  });

  test.each([
    ['a flipped byte in the code', (b: Buffer) => { b[b.length - 100]! ^= 0xff; }],
    ['a flipped byte in the header', (b: Buffer) => { b[30]! ^= 0x01; }],
    ['truncated', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['empty', () => Buffer.alloc(0)],
    ['no header', (b: Buffer) => b.subarray(23)],
  ])('a damaged cache (%s) is not used, the script runs, and the cache is written afresh', (_label, damage) => {
    const { file, cache } = fresh();
    load(file, cache);
    const [name] = cacheFiles(cache);
    const path = join(cache, name!);
    const bad = Buffer.from(readFileSync(path));
    const damaged = damage(bad) ?? bad;
    writeFileSync(path, damaged);
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(readFileSync(path).equals(damaged)).toBe(false);
    expect(load(file, cache).cacheUsed).toBe(true);
  });

  test('a changed script of the same length never runs the old code (V8 alone checks only the length)', () => {
    const { file, cache } = fresh();
    load(file, cache);
    const changed = SCRIPT.replace('fib(20)', 'fib(21)');
    expect(changed.length).toBe(SCRIPT.length);
    writeFileSync(file, changed);
    expect(load(file, cache)).toEqual({ answer: 'a/10946/script.cjs', cacheUsed: false });
    // Two builds' caches side by side (the old one is kept: a few other builds are, see below).
    expect(cacheFiles(cache)).toHaveLength(2);
  });

  test('another file\'s cache copied under this file\'s name is not used', () => {
    const a = fresh();
    const b = fresh(SCRIPT.replace('fib(20)', 'fib(19)'));
    load(a.file, a.cache);
    load(b.file, b.cache);
    const [nameA] = cacheFiles(a.cache);
    const [nameB] = cacheFiles(b.cache);
    writeFileSync(join(b.cache, nameB!), readFileSync(join(a.cache, nameA!)));
    expect(load(b.file, b.cache)).toEqual({ answer: 'a/4181/script.cjs', cacheUsed: false });
  });

  test('a cache folder others may write is neither read nor written', () => {
    const { file, cache } = fresh();
    load(file, cache);
    chmodSync(cache, 0o777);
    const [name] = cacheFiles(cache);
    const before = statSync(join(cache, name!)).mtimeMs;
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(statSync(join(cache, name!)).mtimeMs).toBe(before);
  });

  test('a cache that cannot be written (its path is a file) costs nothing but the cache', () => {
    const { file, cache } = fresh();
    writeFileSync(cache, 'not a folder');
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(load(file, join(cache, 'below'))).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(readFileSync(cache, 'utf8')).toBe('not a folder');
  });

  test('a temporary file a killed run left is removed by a later write once it is stale; a fresh one (a run writing now) is not', () => {
    const { file, cache } = fresh();
    load(file, cache, 'iso');
    const prefix = cacheFiles(cache)[0]!.slice(0, 16);
    const stale = join(cache, `${prefix}-tags.bin.4242.tmp`);
    const writing = join(cache, `${prefix}-tags.bin.4243.tmp`);
    writeFileSync(stale, 'half');
    writeFileSync(writing, 'half');
    utimesSync(stale, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    load(file, cache, 'registries');
    expect(cacheFiles(cache)).toEqual([`${prefix}-iso.bin`, `${prefix}-registries.bin`, `${prefix}-tags.bin.4243.tmp`]);
  });

  test('the same bytes at another path have their own cache (V8 keeps the path in the code: stack traces)', () => {
    const a = fresh();
    const b = fresh();
    load(a.file, a.cache);
    mkdirSync(b.cache, { mode: 0o700 });
    cpSync(join(a.cache, cacheFiles(a.cache)[0]!), join(b.cache, cacheFiles(a.cache)[0]!));
    expect(load(b.file, b.cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(cacheFiles(b.cache)).toHaveLength(2);
  });

  test('a write keeps this build\'s caches and the three newest other builds\'; older builds\' go', () => {
    const { file, cache } = fresh();
    mkdirSync(cache, { mode: 0o700 });
    const others = ['1111111111111111', '2222222222222222', '3333333333333333', '4444444444444444', '5555555555555555'];
    others.forEach((prefix, i) => {
      for (const variant of ['iso', 'tags']) {
        const path = join(cache, `${prefix}-${variant}.bin`);
        writeFileSync(path, 'old', { mode: 0o600 });
        utimesSync(path, new Date(Date.now() - (10 - i) * 3600_000), new Date(Date.now() - (10 - i) * 3600_000));
      }
    });
    writeFileSync(join(cache, 'notes.txt'), 'not ours');
    load(file, cache);
    const prefixes = [...new Set(cacheFiles(cache).map((f) => f.slice(0, 16)))];
    expect(prefixes).toHaveLength(5);
    expect(prefixes).toEqual(expect.arrayContaining(['3333333333333333', '4444444444444444', '5555555555555555']));
    expect(cacheFiles(cache)).toContain('notes.txt');
  });

  test.each([
    ['the cache folder is a symlink (to a folder this user owns)', (cache: string) => {
      renameSync(cache, `${cache}.real`);
      symlinkSync(`${cache}.real`, cache);
    }],
    ['the cache file is a symlink (to a good cache)', (cache: string) => {
      const [name] = cacheFiles(cache);
      renameSync(join(cache, name!), join(cache, `${name}.real`));
      symlinkSync(join(cache, `${name}.real`), join(cache, name!));
    }],
    ['the cache file has a second link', (cache: string) => {
      linkSync(join(cache, cacheFiles(cache)[0]!), join(cache, 'elsewhere'));
    }],
    ['others may write the cache file', (cache: string) => {
      chmodSync(join(cache, cacheFiles(cache)[0]!), 0o622);
    }],
  ])('a cache is not read when %s', (_label, arrange) => {
    const { file, cache } = fresh();
    load(file, cache);
    expect(load(file, cache).cacheUsed).toBe(true);
    arrange(cache);
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
  });

  test.runIf(process.getuid?.() === 0)('as root: a cache file or folder another user owns is not read, and no folder is made below one', () => {
    const { file, cache } = fresh();
    load(file, cache);
    const [name] = cacheFiles(cache);
    chownSync(join(cache, name!), 12345, 12345);
    expect(load(file, cache).cacheUsed).toBe(false);
    const theirs = fresh();
    load(theirs.file, theirs.cache);
    chownSync(theirs.cache, 12345, 12345);
    expect(load(theirs.file, theirs.cache).cacheUsed).toBe(false);
    // sudo with HOME kept: root makes no folder in another user's tree.
    const home = join(dir, 'someone');
    mkdirSync(home);
    chownSync(home, 12345, 12345);
    expect(load(file, join(home, '.cache', 'edgebuild', 'compile')).cacheUsed).toBe(false);
    expect(readdirSync(home)).toEqual([]);
  });

  test('a FIFO in place of the cache file does not hang the run', () => {
    const { file, cache } = fresh();
    load(file, cache);
    const [name] = cacheFiles(cache);
    rmSync(join(cache, name!));
    expect(spawnSync('mkfifo', [join(cache, name!)]).status).toBe(0);
    expect(load(file, cache)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
  });

  test('a variant that is not a command name gets no cache file', () => {
    const { file, cache } = fresh();
    expect(load(file, cache, '../escape')).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(load(file, cache, 'Iso')).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(existsSync(cache)).toBe(false);
    expect(existsSync(join(cache, '..', 'escape'))).toBe(false);
  });

  test('no cache folder: the script runs and nothing is written', () => {
    const { file } = fresh();
    expect(load(file, undefined)).toEqual({ answer: 'a/6765/script.cjs', cacheUsed: false });
    expect(readdirSync(join(file, '..'))).toEqual(['script.cjs']);
  });
});

describe('the built CLI', () => {
  const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH, HOME: join(dir, 'home'), ...extra });

  test('runs a command from its one-file bundle through the cache in edgebuild\'s cache folder, a file per command; --version runs the modules', () => {
    expect(existsSync(join(ROOT, 'dist/cli/edgebuild.cjs')), 'npm run build first').toBe(true);
    const xdg = join(dir, 'xdg');
    const compile = join(xdg, 'edgebuild', 'compile');
    const inodes: number[] = [];
    for (const args of [['--version'], ['registries', '--config', join(ROOT, 'build-configs/registries.yaml')], ['registries', '--config', join(ROOT, 'build-configs/registries.yaml')]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: env({ XDG_CACHE_HOME: xdg }) });
      expect(r.status, r.stderr).toBe(0);
      if (args[0] === 'registries') inodes.push(statSync(join(compile, cacheFiles(compile)[0]!)).ino);
    }
    expect(cacheFiles(compile).map((f) => f.replace(/^[0-9a-f]{16}-/, ''))).toEqual(['registries.bin']);
    expect(inodes[1]).toBe(inodes[0]); // the second run took the first run's cache
  });

  test.runIf(process.getuid?.() === 0)('root by sudo (SUDO_UID) writes no cache: the folder is most likely the invoking user\'s', () => {
    const xdg = join(dir, 'sudo-xdg');
    const r = spawnSync(process.execPath, [CLI, 'registries', '--config', join(ROOT, 'build-configs/registries.yaml')], { encoding: 'utf8', env: env({ XDG_CACHE_HOME: xdg, SUDO_UID: '1000' }) });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(xdg, 'edgebuild', 'compile'))).toBe(false);
  });

  test('the same output with the cache written, taken, damaged or off; a relative EDGEBUILD_COMPILE_CACHE is off', () => {
    const cache = join(dir, 'cli-cache');
    const args = [CLI, 'registries', '--config', join(ROOT, 'build-configs/registries.yaml')];
    const cli = (setting: string) => {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: env({ EDGEBUILD_COMPILE_CACHE: setting }), cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const written = cli(cache);
    const [name] = cacheFiles(cache);
    const first = statSync(join(cache, name!));
    const taken = cli(cache);
    expect(statSync(join(cache, name!)).ino).toBe(first.ino); // taken, not written again
    writeFileSync(join(cache, name!), Buffer.alloc(64, 1));
    const damaged = cli(cache);
    expect(readFileSync(join(cache, name!)).length).toBeGreaterThan(64); // written afresh
    writeFileSync(join(cache, name!), Buffer.alloc(64, 1));
    const off = cli('0');
    const relative = cli('relative-cache');
    expect(written).toContain('# Generated by edgebuild registries');
    expect(new Set([written, taken, damaged, off, relative]).size).toBe(1);
    // Off: the damaged file was left as it was, neither read nor replaced; relative: no folder made.
    expect(readFileSync(join(cache, name!)).equals(Buffer.alloc(64, 1))).toBe(true);
    expect(existsSync(join(dir, 'relative-cache'))).toBe(false);
  });

  test.each([
    ['one module deep in it was written since (tsc --watch)', (pkg: string) => {
      const later = new Date(Date.now() + 5000);
      utimesSync(join(pkg, 'dist/core/sites/table.js'), later, later);
    }],
    ['one module it was made from is gone', (pkg: string) => rmSync(join(pkg, 'dist/core/sites/table.js'))],
    ['its list of inputs is gone', (pkg: string) => rmSync(join(pkg, 'dist/cli/edgebuild.inputs'))],
  ])('a bundle whose %s never runs: the modules do', (_label, arrange) => {
    const pkg = join(dir, `package-copy-${_label.replace(/\W/g, '')}`);
    for (const part of ['dist', 'assets', 'build-configs', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true, preserveTimestamps: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const bundle = join(pkg, 'dist/cli/edgebuild.cjs');
    writeFileSync(bundle, 'module.exports = { processIo: () => ({}), run: async () => { process.stdout.write("the stand-in bundle ran\\n"); return 0; } };\n');
    const now = new Date(Date.now() + 1000);
    utimesSync(bundle, now, now);
    const runIt = () => spawnSync(process.execPath, [join(pkg, 'dist/cli/main.js'), 'registries', '--config', join(ROOT, 'build-configs/registries.yaml')], { encoding: 'utf8', env: env({ EDGEBUILD_COMPILE_CACHE: '0' }) });
    expect(runIt().stdout).toBe('the stand-in bundle ran\n'); // a current bundle is what runs
    arrange(pkg);
    const stale = runIt();
    if (!_label.includes('gone') || _label.includes('inputs')) {
      expect(stale.status, stale.stderr).toBe(0);
      expect(stale.stdout).toContain('# Generated by edgebuild registries');
    } else {
      // Without table.js the modules cannot load either, but the stand-in did not run.
      expect(stale.stdout).not.toContain('the stand-in bundle ran');
    }
  });

  test('a bundle older than the modules (tsc ran after the last full build) never runs: the modules do', () => {
    // A copy of the package whose bundle is a stand-in that says so when it runs.
    const pkg = join(dir, 'package-copy');
    for (const part of ['dist', 'assets', 'build-configs', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const bundle = join(pkg, 'dist/cli/edgebuild.cjs');
    writeFileSync(bundle, 'module.exports = { processIo: () => ({}), run: async () => { process.stdout.write("the stand-in bundle ran\\n"); return 0; } };\n');
    const modules = statSync(join(pkg, 'dist/cli/bundle.js')).mtime;
    const runIt = () => spawnSync(process.execPath, [join(pkg, 'dist/cli/main.js'), 'registries', '--config', join(ROOT, 'build-configs/registries.yaml')], { encoding: 'utf8', env: env({ EDGEBUILD_COMPILE_CACHE: '0' }) });
    utimesSync(bundle, modules, new Date(modules.getTime() + 1000));
    expect(runIt().stdout).toBe('the stand-in bundle ran\n'); // a current bundle is what runs
    utimesSync(bundle, modules, new Date(modules.getTime() - 1000));
    const stale = runIt();
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stdout).toContain('# Generated by edgebuild registries');
  });
});
