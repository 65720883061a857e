/**
 * The content-hash cache of `files:` (src/adapters/hashCache.ts): an
 * unchanged file is not read again, and nothing but an unchanged file is
 * ever answered from the cache: a changed file, a cache from another
 * machine or a corrupt cache file all mean hashing again.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { sha256Tree } from '../../src/adapters/checksum.js';
import { FileHashCache, HASH_CACHE_FILE } from '../../src/adapters/hashCache.js';

let dir: string;
let cacheDir: string;
let tree: string;
const HOUR_AGO = new Date(Date.now() - 3_600_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-hashcache-'));
  cacheDir = join(dir, 'cache');
  mkdirSync(cacheDir);
  tree = join(dir, 'files');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  for (const [name, text] of [['a.txt', 'alpha'], ['sub/b.bin', 'beta'], ['sub/c.txt', 'gamma']]) {
    writeFileSync(join(tree, name!), text!);
    utimesSync(join(tree, name!), HOUR_AGO, HOUR_AGO); // settled long ago, as a user's files are
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One run: load the cache, hash the tree, save; the digest and how many files were read. */
async function run(): Promise<{ digest: string; hashed: number }> {
  const cache = await FileHashCache.load(cacheDir);
  const digest = await sha256Tree(tree, undefined, (file, signal) => cache.sha256(file, signal));
  await cache.save();
  return { digest, hashed: cache.hashed };
}

test('a rerun reads no unchanged file and gets the digest of an uncached hash', async () => {
  const uncached = await sha256Tree(tree);
  expect(await run()).toEqual({ digest: uncached, hashed: 3 });
  expect(await run()).toEqual({ digest: uncached, hashed: 0 });
});

test('a file rewritten with the same size and its old mtime is hashed again (its ctime moved)', async () => {
  await run();
  writeFileSync(join(tree, 'a.txt'), 'ALPHA');
  utimesSync(join(tree, 'a.txt'), HOUR_AGO, HOUR_AGO);
  const second = await run();
  expect(second).toEqual({ digest: await sha256Tree(tree), hashed: 1 });
});

test('a corrupt or foreign cache file is an empty cache, and is replaced by a good one', async () => {
  const uncached = await sha256Tree(tree);
  for (const junk of ['{not json', 'null', '{"version":1,"files":{"x":{"stamp":1}}}', JSON.stringify({ version: 1, files: { [join(tree, 'a.txt')]: { stamp: 'forged', sha256: '0'.repeat(64) } } })]) {
    writeFileSync(join(cacheDir, HASH_CACHE_FILE), junk);
    expect(await run()).toEqual({ digest: uncached, hashed: 3 });
    expect(await run()).toEqual({ digest: uncached, hashed: 0 });
  }
  expect(JSON.parse(readFileSync(join(cacheDir, HASH_CACHE_FILE), 'utf8'))).toMatchObject({ version: 1 });
});

test('a file changed moments ago is not cached: a second write in the same clock tick would go unseen', async () => {
  writeFileSync(join(tree, 'a.txt'), 'fresh');
  expect((await run()).hashed).toBe(3);
  expect((await run()).hashed).toBe(1);
});

test('without a cache directory nothing is written or remembered across runs', async () => {
  for (let i = 0; i < 2; i++) {
    const cache = await FileHashCache.load(undefined);
    await sha256Tree(tree, undefined, (file) => cache.sha256(file));
    await cache.save();
    expect(cache.hashed).toBe(3);
  }
  expect(readdirSync(cacheDir)).toEqual([]);
});
