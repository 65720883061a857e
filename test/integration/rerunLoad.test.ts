/**
 * An up-to-date rerun of `edgebuild iso` answers from the manifest: it talks
 * to no Docker engine and runs no build, so it must not load dockerode or
 * execa (with them grpc-js, protobufjs, ssh2...: most of a rerun's time).
 * The first build needs the test engine; the rerun runs with the load probe
 * (test/fixtures/loadProbe) and a DOCKER_HOST that does not exist.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeDocker, testImage } from './dockerGuard.js';
import { BUILD_TAGS } from '../fixtures/earthlyScript.js';
import { packagesLoaded } from '../fixtures/loadProbe/packagesLoaded.js';
import { CLI, EARTHLY_IMAGE, cliEnv, exec, isoArgs, makeWorkspace, runCli, type Workspace } from './isoHelpers.js';

let ws: Workspace;

describeDocker('an up-to-date rerun of iso', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
    ws = makeWorkspace();
    await exec('docker', ['tag', testImage, EARTHLY_IMAGE]);
  }, 120_000);
  afterAll(() => ws?.cleanup());

  test('loads neither dockerode nor execa', { timeout: 120_000 }, async () => {
    const args = isoArgs(ws, 'rerun', BUILD_TAGS.success, ['--json']);
    const first = await runCli(args, cliEnv(), ws.root);
    expect(first.code, first.stderr).toBe(0);
    const rerun = packagesLoaded(args.slice(1), { cwd: ws.root, log: join(ws.root, 'load.log'), env: cliEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ status: 'up-to-date' });
    // The probe does see packages: the rerun reads git, YAML and the config.
    expect(rerun.packages).toEqual(expect.arrayContaining(['commander', 'simple-git', 'yaml']));
    expect(rerun.packages.filter((p) => ['dockerode', 'docker-modem', 'execa', 'ssh2', '@grpc/grpc-js', 'protobufjs'].includes(p))).toEqual([]);
  });
});
