import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkoutTag, displayUrl, ensureMirror, listTags, mirrorPath, normalizeRepo } from '../../src/adapters/git.js';
import { mirroredSource, resolveSource } from '../../src/pipeline/source.js';
import { listCanvosTags } from '../../src/pipeline/tags.js';
import { COMMIT_GREP_CACHE_FILE } from '../../src/adapters/commitGrepCache.js';
import { InputError, RuntimeError } from '../../src/errors.js';
import { addTag, createCanvosRepo, git, TYPICAL_TAGS, type FixtureRepo } from '../fixtures/canvosRepo.js';

let repo: FixtureRepo;
let scratch: string;

beforeAll(() => {
  repo = createCanvosRepo([...TYPICAL_TAGS, { name: 'v4.5.16', lightweight: true }]);
  scratch = mkdtempSync(join(tmpdir(), 'edgebuild-git-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('mirror', () => {
  test('lists every tag with the commit it points at (annotated and lightweight)', async () => {
    const cache = join(scratch, 'cache1');
    const mirror = await ensureMirror(repo.url, cache);
    expect(mirror.offline).toBe(false);
    expect(mirror.path).toBe(mirrorPath(cache, repo.url));
    const tags = await listTags(mirror.path);
    expect(Object.fromEntries(tags.map((t) => [t.name, t.commit]))).toEqual(repo.commits);
  });

  test('a later call fetches new tags; without the network the cached copy is used', async () => {
    const repo = createCanvosRepo([{ name: 'v4.9.39' }]);
    const cache = join(scratch, 'cache2');
    await ensureMirror(repo.url, cache);
    const commit = addTag(repo, { name: 'v4.9.40' });
    const again = await ensureMirror(repo.url, cache);
    expect((await listTags(again.path)).find((t) => t.name === 'v4.9.40')?.commit).toBe(commit);

    renameSync(repo.path, `${repo.path}.away`);
    try {
      const source = await resolveSource(repo.url, 'v4.9.40', cache, { retryDelaysMs: [] });
      expect(source.commit).toBe(commit);
      expect(source.warnings[0]).toMatch(/^could not fetch file:\/\/.*; using the cached mirror last updated /);
      await expect(resolveSource(repo.url, 'v9.9.9', cache, { retryDelaysMs: [] })).rejects.toThrow(/does not exist .*\(the cached mirror could not be updated\)/);
    } finally {
      renameSync(`${repo.path}.away`, repo.path);
      repo.cleanup();
    }
  });

  test('a repository that does not exist fails at once, leaving no half-made mirror', async () => {
    const cache = join(scratch, 'cache3');
    const missing = normalizeRepo(join(scratch, 'nope.git'), '/');
    const error = await ensureMirror(missing, cache, { retryDelaysMs: [60_000] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError); // not a repository: bad input, exit 2
    // git's first fatal line names the cause; its closing advice is not the message.
    expect((error as InputError).message).toMatch(/^cannot fetch CanvOS from file:\/\/.*nope\.git: fatal: '.*nope\.git' does not appear to be a git repository$/);
    expect(readdirSync(join(cache, 'git')).filter((f) => !f.endsWith('.lock'))).toEqual([]);
  });
});

describe('resolveSource', () => {
  test.each([
    ['latest', 'v4.6.21', 'v4.6.21'],
    ['v4.4.5', 'v4.4.5', 'v4.4.6'], // PE_VERSION differs from the tag name
    ['4.5.15', 'v4.5.15', 'v4.5.15'],
    ['v4.8.a', 'v4.8.a', 'v4.8.1'],
  ])('%s → %s (PE_VERSION %s)', async (wanted, tag, peVersion) => {
    const source = await resolveSource(repo.url, wanted, join(scratch, 'cache-resolve'));
    expect(source.tag).toBe(tag);
    expect(source.commit).toBe(repo.commits[tag]);
    expect(source.peVersion).toBe(peVersion);
  });

  test('an unknown tag is exit 2 with the nearest tags', async () => {
    const error = (await resolveSource(repo.url, 'v4.5.0', join(scratch, 'cache-resolve')).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(error.details.suggestions).toEqual(['v4.5.3', 'v4.5.14', 'v4.5.15']);
  });
});

describe('a rerun resolves without fetching', () => {
  /** Points `name` upstream at `commit` (a tag moved by its maintainers). */
  const moveTag = (origin: FixtureRepo, name: string, commit: string) => {
    git(origin.path, 'tag', '-f', '-a', name, commit, '-m', `${name} moved`);
    origin.commits[name] = commit;
  };
  const mirrorTags = async (mirror: string) => Object.fromEntries((await listTags(mirror)).map((t) => [t.name, t.commit]));

  test('the remote says where the tag points; the mirror is fetched only when it lacks that commit', async () => {
    const origin = createCanvosRepo([{ name: 'v4.9.38' }, { name: 'v4.9.39', files: { 'k8s_version.json': '{"k3s":["1.30.1"]}' } }]);
    try {
      const cache = join(scratch, 'cache-rerun');
      const first = await resolveSource(origin.url, 'v4.9.39', cache);
      expect(first).toMatchObject({ fetched: true, commit: origin.commits['v4.9.39'], peVersion: 'v4.9.39' });
      const release = addTag(origin, { name: 'v4.9.40' });

      const rerun = await resolveSource(origin.url, 'v4.9.39', cache);
      expect(rerun).toMatchObject({ fetched: false, commit: origin.commits['v4.9.39'], peVersion: 'v4.9.39', warnings: [] });
      expect(rerun.files.get('k8s_version.json')).toBe('{"k3s":["1.30.1"]}');
      expect(rerun.files.get('earthly.sh')).toBeUndefined();
      expect(Object.keys(await mirrorTags(rerun.mirror))).not.toContain('v4.9.40'); // no fetch ran

      // `latest` is read from the remote too; its commit is not in the mirror yet: fetched.
      const latest = await resolveSource(origin.url, 'latest', cache);
      expect(latest).toMatchObject({ tag: 'v4.9.40', commit: release, fetched: true });
      expect((await mirrorTags(latest.mirror))['v4.9.40']).toBe(release);
    } finally {
      origin.cleanup();
    }
  });

  test('a moved tag is seen at once; the checkout fetches first, and refuses a tag that moved again', async () => {
    const origin = createCanvosRepo([{ name: 'v4.9.38' }, { name: 'v4.9.39' }, { name: 'v4.9.40' }]);
    try {
      const cache = join(scratch, 'cache-moved');
      await resolveSource(origin.url, 'v4.9.39', cache);
      moveTag(origin, 'v4.9.39', origin.commits['v4.9.38']!); // a commit the mirror holds: no fetch needed to read it
      const moved = await resolveSource(origin.url, 'v4.9.39', cache);
      expect(moved).toMatchObject({ fetched: false, commit: origin.commits['v4.9.38'], peVersion: 'v4.9.38' });
      expect((await mirrorTags(moved.mirror))['v4.9.39']).not.toBe(moved.commit); // the mirror still has the old tag

      expect(await mirroredSource(origin.url, cache, moved)).toEqual([]);
      expect((await mirrorTags(moved.mirror))['v4.9.39']).toBe(moved.commit);

      const again = await resolveSource(origin.url, 'v4.9.40', cache);
      moveTag(origin, 'v4.9.40', origin.commits['v4.9.38']!);
      const error = await mirroredSource(origin.url, cache, again).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error).toMatchObject({ code: 'git-tag-moved' });
      expect((error as Error).message).toMatch(/^v4\.9\.40 moved in file:\/\/.* while edgebuild ran \(planned at [0-9a-f]{12}, now [0-9a-f]{12}\)$/);
    } finally {
      origin.cleanup();
    }
  });
});

describe('tags on a cached mirror', () => {
  const list = (origin: FixtureRepo, warnings: string[] = []) =>
    listCanvosTags({ repo: origin.url, cacheDir: join(scratch, 'cache-tags'), cwd: scratch, env: {}, signal: new AbortController().signal, onRetry: () => undefined, onWarning: (w) => warnings.push(w) });
  const byName = (report: Awaited<ReturnType<typeof list>>) => Object.fromEntries(report.tags.map((t) => [t.name, { commit: t.commit, peVersion: t.peVersion }]));

  test('lists the remote now: a new tag (fetched for), a moved one (no fetch needed); offline, the cached tags with a warning', async () => {
    const origin = createCanvosRepo([{ name: 'v4.9.38' }, { name: 'v4.9.39', peVersion: 'v4.9.40' }]);
    try {
      await list(origin);
      const added = addTag(origin, { name: 'v4.9.41' });
      git(origin.path, 'tag', '-f', '-a', 'v4.9.39', origin.commits['v4.9.38']!, '-m', 'moved');
      const now = await list(origin);
      expect(now.latest).toBe('v4.9.41');
      expect(byName(now)).toEqual({
        'v4.9.41': { commit: added, peVersion: 'v4.9.41' },
        'v4.9.39': { commit: origin.commits['v4.9.38'], peVersion: 'v4.9.38' },
        'v4.9.38': { commit: origin.commits['v4.9.38'], peVersion: 'v4.9.38' },
      });

      renameSync(origin.path, `${origin.path}.away`);
      const warnings: string[] = [];
      const offline = await list(origin, warnings);
      expect(byName(offline)).toEqual(byName(now));
      expect(warnings[0]).toMatch(/^could not fetch file:\/\/.*; using the cached mirror last updated /);
      renameSync(`${origin.path}.away`, origin.path);
    } finally {
      origin.cleanup();
    }
  });
});

describe('tags: the grep cache (a commit\'s files never change)', () => {
  const list = (origin: FixtureRepo, cacheDir: string, warnings: string[] = []) =>
    listCanvosTags({ repo: origin.url, cacheDir, cwd: scratch, env: {}, signal: new AbortController().signal, onRetry: () => undefined, onWarning: (w) => warnings.push(w) });
  const pins = (report: Awaited<ReturnType<typeof list>>) => Object.fromEntries(report.tags.map((t) => [t.name, [t.commit, t.peVersion]]));
  /** Empties the mirror's object store: `git ls-remote` still runs in it, any `git grep` fails. */
  const dropObjects = (mirror: string) => {
    rmSync(join(mirror, 'objects'), { recursive: true, force: true });
    mkdirSync(join(mirror, 'objects', 'pack'), { recursive: true });
    mkdirSync(join(mirror, 'objects', 'info'), { recursive: true });
  };

  test('tags that did not move are answered without git grep; a new tag is grepped for (fetched first when the mirror lacks it)', async () => {
    const origin = createCanvosRepo([{ name: 'v4.9.38' }, { name: 'v4.9.39', peVersion: 'v4.9.40' }]);
    const cacheDir = join(scratch, 'cache-greps');
    try {
      const first = await list(origin, cacheDir);
      expect(existsSync(join(cacheDir, COMMIT_GREP_CACHE_FILE))).toBe(true);
      const mirror = mirrorPath(cacheDir, normalizeRepo(origin.url, scratch));
      dropObjects(mirror);
      const warnings: string[] = [];
      const again = await list(origin, cacheDir, warnings);
      expect(pins(again)).toEqual(pins(first));
      expect(pins(again)['v4.9.39']).toEqual([origin.commits['v4.9.39'], 'v4.9.40']);
      // No grep ran (it would have failed and sent tags to fetch, which rebuilds or refills the mirror).
      expect(warnings).toEqual([]);
      expect(readdirSync(join(mirror, 'objects', 'pack'))).toEqual([]);
      // A new tag: its commit is grepped for, the grep fails on the emptied mirror, and tags fetches first, as before the cache.
      const added = addTag(origin, { name: 'v4.9.41' });
      const later = await list(origin, cacheDir);
      expect(pins(later)['v4.9.41']).toEqual([added, 'v4.9.41']);
      expect(pins(later)['v4.9.39']).toEqual([origin.commits['v4.9.39'], 'v4.9.40']);
    } finally {
      origin.cleanup();
    }
  });

  test.each([
    ['not JSON', '{"version":1,"queries":'],
    ['another version', '{"version":2,"queries":{}}'],
    ['entries of the wrong shape', JSON.stringify({ version: 1, queries: { 'Earthfile\nx': { nothex: ['a'], ['a'.repeat(40)]: 'not a list' } } })],
  ])('a damaged grep cache (%s) is a miss: the tags are grepped again and the file rewritten', async (_label, text) => {
    const origin = createCanvosRepo([{ name: 'v4.9.38', peVersion: 'v4.9.37' }]);
    const cacheDir = join(scratch, `cache-greps-${_label.replace(/\W/g, '')}`);
    try {
      await list(origin, cacheDir);
      writeFileSync(join(cacheDir, COMMIT_GREP_CACHE_FILE), text);
      const again = await list(origin, cacheDir);
      expect(pins(again)).toEqual({ 'v4.9.38': [origin.commits['v4.9.38'], 'v4.9.37'] });
      const stored = JSON.parse(readFileSync(join(cacheDir, COMMIT_GREP_CACHE_FILE), 'utf8')) as { version: number; queries: Record<string, Record<string, string[]>> };
      expect(stored.version).toBe(1);
      expect(Object.values(stored.queries).flatMap((q) => Object.keys(q))).toContain(origin.commits['v4.9.38']);
    } finally {
      origin.cleanup();
    }
  });
});

describe('checkoutTag', () => {
  test('makes a clean checkout with every tag, replacing its own earlier checkout whole', async () => {
    const cache = join(scratch, 'cache4');
    const mirror = await ensureMirror(repo.url, cache);
    const dest = join(scratch, 'work', 'canvos');
    mkdirSync(join(scratch, 'work'), { recursive: true });
    await checkoutTag(mirror.path, 'v4.5.14', dest, repo.url);
    writeFileSync(join(dest, 'leftover.iso'), 'old build');
    await checkoutTag(mirror.path, 'v4.5.15', dest, repo.url);
    expect(existsSync(join(dest, 'leftover.iso'))).toBe(false);
    expect(git(dest, 'describe', '--tags')).toBe('v4.5.15');
    expect(git(dest, 'status', '--porcelain')).toBe('');
    expect(git(dest, 'tag').split('\n').sort()).toEqual(Object.keys(repo.commits).sort());
    expect(readdirSync(join(scratch, 'work'))).toEqual(['canvos']); // no temp dirs left
  });

  test('refuses to replace a folder edgebuild did not make', async () => {
    const mirror = await ensureMirror(repo.url, join(scratch, 'cache4'));
    const dest = join(scratch, 'mine');
    mkdirSync(dest);
    writeFileSync(join(dest, 'precious'), 'x');
    await expect(checkoutTag(mirror.path, 'v4.5.15', dest, repo.url)).rejects.toThrow(InputError);
    expect(readdirSync(dest)).toEqual(['precious']);
  });
});

test.each([
  ['https://user:tok@github.com/x/CanvOS.git', 'https://***@github.com/x/CanvOS.git'],
  ['https://github.com/x/CanvOS.git', 'https://github.com/x/CanvOS.git'],
  ['file:///tmp/c.git', 'file:///tmp/c.git'],
])('displayUrl(%s)', (url, shown) => {
  expect(displayUrl(url)).toBe(shown);
});
