/**
 * An up-to-date rerun of `edgebuild iso` answers from the manifest: it talks
 * to no Docker engine and runs no build, so it must not load dockerode or
 * execa (with them grpc-js, protobufjs, ssh2...: most of a rerun's time),
 * nor the code of the steps it skips; git is `ls-remote` and `cat-file`,
 * without simple-git, and no `git fetch`; progress off a terminal is plain
 * lines, without listr2.
 * The first build needs the test engine; the rerun runs with the load probe
 * (test/fixtures/loadProbe) and a DOCKER_HOST that does not exist.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeDocker, testImage } from './dockerGuard.js';
import { BUILD_TAGS } from '../fixtures/earthlyScript.js';
import { packagesLoaded } from '../fixtures/loadProbe/packagesLoaded.js';
import { mirrorPath } from '../../src/adapters/git.js';
import { CLI, EARTHLY_IMAGE, cliEnv, exec, isoArgs, makeWorkspace, type Workspace } from './isoHelpers.js';

let ws: Workspace;

describeDocker('an up-to-date rerun of iso', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
    ws = makeWorkspace();
    await exec('docker', ['tag', testImage, EARTHLY_IMAGE]);
  }, 120_000);
  afterAll(() => ws?.cleanup());

  test('loads neither dockerode nor execa, nor the git wrapper, listr2 or the build steps; fetches nothing', { timeout: 120_000 }, async () => {
    const args = isoArgs(ws, 'rerun', BUILD_TAGS.success, ['--json']);
    // The first run builds, through the probe too: it does see the build steps evaluated (from the CLI's bundle,
    // dist/cli/edgebuild.cjs), so their absence from the rerun's log below means something.
    const first = packagesLoaded(args.slice(1), { cwd: ws.root, log: join(ws.root, 'first.log'), env: cliEnv() });
    expect(first.code, first.stderr).toBe(0);
    const firstLog = readFileSync(join(ws.root, 'first.log'), 'utf8').split('\n');
    expect(firstLog.filter((url) => ['pipeline/build.js', 'pipeline/verify.js', 'adapters/proc.js'].some((f) => url.endsWith(`/dist/${f}`)))).toHaveLength(3);
    expect(first.packages).toContain('execa');
    // Every `git fetch` rewrites the mirror's FETCH_HEAD; the rerun asks the remote with `git ls-remote` instead.
    const fetchHead = join(mirrorPath(ws.cache, ws.repo.url), 'FETCH_HEAD');
    const fetchedAt = statSync(fetchHead).mtimeMs;
    const rerun = packagesLoaded(args.slice(1), { cwd: ws.root, log: join(ws.root, 'load.log'), env: cliEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ status: 'up-to-date' });
    expect(statSync(fetchHead).mtimeMs).toBe(fetchedAt);
    // The probe does see packages: the rerun reads YAML and the config.
    expect(rerun.packages).toEqual(expect.arrayContaining(['commander', 'yaml']));
    expect(rerun.packages.filter((p) => ['dockerode', 'docker-modem', 'execa', 'ssh2', '@grpc/grpc-js', 'protobufjs', 'simple-git', 'listr2'].includes(p))).toEqual([]);
    // Nor edgebuild's own code for the steps an up-to-date build skips.
    const skipped = ['pipeline/preflight.js', 'pipeline/apply.js', 'pipeline/build.js', 'pipeline/verify.js', 'pipeline/targetOutputs.js', 'adapters/docker.js', 'adapters/proc.js'];
    expect(readFileSync(join(ws.root, 'load.log'), 'utf8').split('\n').filter((url) => skipped.some((f) => url.endsWith(`/dist/${f}`)))).toEqual([]);
    // Nor worker_threads (~4 ms to load here): a rerun hashes on its own thread.
    expect(readFileSync(join(ws.root, 'load.log'), 'utf8').split('\n')).not.toContain('node:worker_threads');
  });
});
