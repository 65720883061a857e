import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureMirror, isTransient, listTags, splitCredentials } from '../../src/adapters/git.js';
import { InputError, RuntimeError } from '../../src/errors.js';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';
import { startGitHttpServer, type GitHttpServer } from '../fixtures/gitHttpServer.js';

let repo: FixtureRepo;
let server: GitHttpServer;
let cache: string;
beforeAll(async () => {
  repo = createCanvosRepo([{ name: 'v4.5.15' }]);
  server = await startGitHttpServer(dirname(repo.path));
  cache = mkdtempSync(join(tmpdir(), 'edgebuild-retry-'));
});
afterAll(async () => {
  await server.close();
  repo.cleanup();
  rmSync(cache, { recursive: true, force: true });
});

test('a flaky server is retried with backoff until the fetch goes through', async () => {
  const url = server.url(basename(repo.path));
  server.failNext(2);
  const retries: string[] = [];
  const mirror = await ensureMirror(url, join(cache, 'a'), { retryDelaysMs: [10, 20, 40], onRetry: (n, e) => retries.push(`${n}: ${e}`) });
  expect(retries).toHaveLength(2);
  expect(retries[0]).toMatch(/^1: .*503/);
  expect((await listTags(mirror.path)).map((t) => t.name)).toEqual(['v4.5.15']);
});

test.each([
  ["fatal: unable to access 'https://github.com/spectrocloud/CanvOS.git/': Could not resolve host: github.com", false],
  ["fatal: unable to access 'https://github.com/spectrocloud/CanvOS.git/': The requested URL returned error: 503", true],
  ["fatal: unable to access 'https://github.com/spectrocloud/CanvOS.git/': Failed to connect to github.com port 443: Connection timed out", true],
  ['fatal: repository not found', false],
])('retried only when it can be transient: %s → %s', (text, transient) => {
  expect(isTransient(text)).toBe(transient);
});

test('when retries run out the failure names the URL, without its credentials', async () => {
  const url = server.url(basename(repo.path)).replace('http://', 'http://user:s3cret@');
  server.failNext(100);
  const error = (await ensureMirror(url, join(cache, 'b'), { retryDelaysMs: [5, 5] }).catch((e: unknown) => e)) as RuntimeError;
  server.failNext(0);
  expect(error).toBeInstanceOf(RuntimeError);
  expect(error.message).toMatch(/^cannot fetch CanvOS from http:\/\/\*\*\*@127\.0\.0\.1:\d+\/CanvOS\.git: .*503/);
  expect(error.message).not.toContain('s3cret');
  expect(error.fix).toMatch(/network or proxy/);
});

test('edgebuild tags says on stderr that it retries, and still prints one JSON document', async () => {
  const url = server.url(basename(repo.path));
  server.failNext(1);
  const result = await runCli(['tags', '--json', '--repo', url, '--cache-dir', join(cache, 'c')], { cwd: cache });
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/^retrying the fetch with backoff \(2 s, 5 s, 15 s\): .*127\.0\.0\.1.*503/m);
  expect(result.stderr.match(/retrying/g)).toHaveLength(1);
  expect(JSON.parse(result.stdout)).toMatchObject({ latest: 'v4.5.15' });
});

test('credentials in the URL reach a private server but neither the mirror config nor the printed URL', async () => {
  const privateServer = await startGitHttpServer(dirname(repo.path), 'robot:pa55:w0rd');
  try {
    const name = basename(repo.path);
    const withCredentials = privateServer.url(name).replace('http://', 'http://robot:pa55%3Aw0rd@');
    const mirror = await ensureMirror(withCredentials, join(cache, 'private'), { retryDelaysMs: [] });
    expect((await listTags(mirror.path)).map((t) => t.name)).toEqual(['v4.5.15']);
    const config = readFileSync(join(mirror.path, 'config'), 'utf8');
    expect(config).toContain(`url = ${privateServer.url(name)}`);
    expect(config).not.toContain('pa55');
    // A second fetch (the mirror exists) authenticates the same way.
    await expect(ensureMirror(withCredentials, join(cache, 'private'), { retryDelaysMs: [] })).resolves.toMatchObject({ offline: false });

    const anonymous = (await ensureMirror(privateServer.url(name), join(cache, 'anon'), { retryDelaysMs: [] }).catch((e: unknown) => e)) as InputError;
    expect(anonymous).toBeInstanceOf(InputError); // no credentials: the user's to fix, exit 2
    expect(anonymous.message).toMatch(/^cannot fetch CanvOS from http:\/\/127\.0\.0\.1:\d+\/CanvOS\.git: /);
  } finally {
    await privateServer.close();
  }
});

test.each([
  ['https://user:tok@github.com/x/CanvOS.git', 'https://github.com/x/CanvOS.git', 'user:tok'],
  ['https://x-access-token:a%40b@github.com/x', 'https://github.com/x', 'x-access-token:a@b'],
  ['https://github.com/x/CanvOS.git', 'https://github.com/x/CanvOS.git', undefined],
  ['file:///tmp/c.git', 'file:///tmp/c.git', undefined],
])('splitCredentials(%s)', (url, bare, userinfo) => {
  const split = splitCredentials(url);
  expect(split.url).toBe(bare);
  expect(split.authorization).toBe(userinfo === undefined ? undefined : `Basic ${Buffer.from(userinfo).toString('base64')}`);
});
