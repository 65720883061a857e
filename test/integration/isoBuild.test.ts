/**
 * `edgebuild iso` end to end: the CLI as a subprocess, a fixture CanvOS
 * repository whose earthly.sh runs containers on the test engine and writes
 * real ISO 9660 images, one tag per failure mode.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { describeDocker, oneBuildFileAtATime, testImage } from './dockerGuard.js';
import { BUILD_TAGS } from '../fixtures/earthlyScript.js';
import { runnerCommands } from '../fixtures/runnerCommands.js';
import type { Manifest } from '../../src/core/manifest.js';
import { CLI, EARTHLY_IMAGE, PROXY_PASSWORD, SECRET, cliEnv, cmdlinesContaining, containerNames, exec, existingContainers, filesUnder, groupOf, isoArgs, killSpawned, makeWorkspace, processesInGroup, runCli, runningInGroup, spawnCli, startSlowBuild, waitFor, type Workspace } from './isoHelpers.js';

let ws: Workspace;
oneBuildFileAtATime();



function parse(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

function noSecretIn(...texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toContain(SECRET);
    expect(t).not.toContain(PROXY_PASSWORD);
  }
}

async function noBuildContainers(): Promise<void> {
  const left = (await containerNames()).filter((c) => c.startsWith('earthly-buildkitd ') || c.includes('earthly/earthly'));
  expect(left).toEqual([]);
}

describeDocker('edgebuild iso end to end', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
    ws = makeWorkspace();
    await exec('docker', ['tag', testImage, EARTHLY_IMAGE]);
    // Leftovers of an earlier, killed test run would be taken for this run's.
    for (const line of await containerNames()) {
      const [name, image] = line.split(' ');
      if (name === 'earthly-buildkitd' || image === EARTHLY_IMAGE) await exec('docker', ['rm', '-f', name!]);
    }
  }, 120_000);
  afterEach(killSpawned);
  afterAll(() => ws?.cleanup());

  describe('build, verify, publish', { timeout: 120_000 }, () => {
    test('builds, verifies and publishes; the rerun is up to date without Docker; --force rebuilds', async () => {
      const args = isoArgs(ws, 'ok', BUILD_TAGS.success, ['--json', '--config', ws.proxyConfig]);
      const first = await runCli(args, cliEnv(), ws.root);
      expect(first.stderr).not.toContain('internal error');
      expect(first.code, first.stderr).toBe(0);
      const result = parse(first.stdout);
      expect(result.status).toBe('built');
      expect(result.tag).toBe(BUILD_TAGS.success);
      expect(result.commit).toBe(ws.repo.commits[BUILD_TAGS.success]);
      const out = join(ws.root, 'ok', 'dist');
      expect(readdirSync(out).sort()).toEqual(['manifest.json', 'palette-edge-installer.iso', 'palette-edge-installer.iso.sha256']);
      const check = await exec('sha256sum', ['-c', 'palette-edge-installer.iso.sha256'], { cwd: out });
      expect(check.stdout).toContain('palette-edge-installer.iso: OK');

      const manifestText = readFileSync(join(out, 'manifest.json'), 'utf8');
      const manifest = JSON.parse(manifestText) as Manifest;
      expect(manifest.edgebuild.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(manifest.canvos).toMatchObject({ tag: BUILD_TAGS.success, commit: ws.repo.commits[BUILD_TAGS.success], peVersion: BUILD_TAGS.success });
      expect(manifest.target).toBe('+iso');
      expect(manifest.arg.ISO_NAME).toBe('palette-edge-installer');
      expect(manifest.userData).toMatchObject({ imageRedirectWebhook: false, isoPath: 'files-iso/config.yaml' });
      expect(manifest.userData.sha256).toMatch(/^[0-9a-f]{64}$/);
      // Both files: the prepared user-data in the ISO and the user's own file it came from.
      expect(manifest.userData.sourceSha256).toBe(createHash('sha256').update(readFileSync(ws.userData)).digest('hex'));
      expect(manifest.userData.sourceSha256).not.toBe(manifest.userData.sha256);
      expect(manifest.buildKey).toBe(result.buildKey);
      expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));
      expect(manifest.artifacts[0]).toMatchObject({ name: 'palette-edge-installer.iso', mode: '0600' });
      // The user-data holds the registration token: the ISO is readable by its owner only, the rest as before.
      expect((result.artifacts as { mode?: string }[])[0]!.mode).toBe('0600');
      expect(['palette-edge-installer.iso', 'palette-edge-installer.iso.sha256', 'manifest.json'].map((f) => (statSync(join(out, f)).mode & 0o777).toString(8))).toEqual(['600', '644', '644']);
      expect(manifest.artifacts[0]!.sha256).toBe((result.artifacts as { sha256: string }[])[0]!.sha256);

      const log = readFileSync(result.log as string, 'utf8');
      expect(log).toContain('+validate-user-data | edgeHostToken: "***"');
      expect(log).toContain('proxy: http://***@127.0.0.1:9 (environment: http://***@127.0.0.1:9)');
      expect(manifest.arg.HTTPS_PROXY).toBe('http://***@127.0.0.1:9');
      noSecretIn(first.stdout, first.stderr, manifestText, log);
      await noBuildContainers();

      const verified = await runCli([CLI, 'verify', join(out, 'palette-edge-installer.iso'), '--json'], cliEnv(), ws.root);
      expect(verified.code, verified.stderr).toBe(0);
      expect(parse(verified.stdout)).toMatchObject({ status: 'verified', sha256: manifest.artifacts[0]!.sha256 });

      // An engine that does not exist: the rerun must not need Docker at all.
      // An ISO an earlier edgebuild published 0644 is made 0600 then.
      chmodSync(join(out, 'palette-edge-installer.iso'), 0o644);
      const again = await runCli(args, cliEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }), ws.root);
      expect(again.code, again.stderr).toBe(0);
      expect(parse(again.stdout)).toMatchObject({ status: 'up-to-date', buildKey: result.buildKey });
      expect(statSync(join(out, 'palette-edge-installer.iso')).mode & 0o777).toBe(0o600);

      // Only the user-data changed: iso points at remaster before it needs Docker (here: before failing without it).
      const otherUserData = join(ws.root, 'other-user-data.yaml');
      writeFileSync(otherUserData, readFileSync(ws.userData, 'utf8').replace('api.example.invalid', 'other.example.invalid'));
      const changed = await runCli([...args, '--user-data', otherUserData], cliEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }), ws.root);
      expect(changed.stderr).toContain(`only the user-data differs from the build published in ${out}`);
      expect(changed.stderr).toContain(`edgebuild remaster ${join(out, 'palette-edge-installer.iso')} --user-data ${otherUserData}`);

      const forced = await runCli([...args, '--force'], cliEnv(), ws.root);
      expect(forced.code, forced.stderr).toBe(0);
      expect(parse(forced.stdout).status).toBe('built');
    });

    test('a UKI build is checked for config.yaml at the ISO root and published with a .sha256 of its own', async () => {
      const run = await runCli(isoArgs(ws, 'uki', BUILD_TAGS.success, ['--arg', 'IS_UKI=true', '--json']), cliEnv(), ws.root);
      expect(run.code, run.stderr).toBe(0);
      const out = join(ws.root, 'uki', 'dist');
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.userData.isoPath).toBe('config.yaml');
      expect(manifest.arg.IS_UKI).toBe('true');
      await exec('sha256sum', ['-c', 'palette-edge-installer.iso.sha256'], { cwd: out });
    });

    test.each([
      ['no-iso', 'iso-missing', /build\/palette-edge-installer\.iso does not exist.*printed "An error occurred"/],
      ['broken-check', 'iso-missing', /does not exist — earthly\.sh exited 0 although its Earthly run failed/],
      ['fail', 'exit-status', /earthly\.sh exited with status 1/],
      ['bad-checksum', 'checksum-mismatch', /\.sha256 says [0-9a-f]{64} but the ISO's sha256 is/],
      ['no-user-data', 'user-data-missing', /the ISO has no files-iso\/config\.yaml/],
    ] as const)('%s: exit 1 naming the condition and the log, nothing published', async (mode, code, message) => {
      const run = await runCli(isoArgs(ws, mode, BUILD_TAGS[mode], ['--json']), cliEnv(), ws.root);
      expect(run.code, run.stderr).toBe(1);
      const error = parse(run.stdout).error as Record<string, unknown>;
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(String(error.log)).toMatch(/work\/logs\/build-.*\.log$/);
      expect(run.stderr).toContain(String(error.log));
      expect(run.stderr).toMatch(/last lines of the build log/);
      expect(filesUnder(join(ws.root, mode, 'dist'))).toEqual([]);
      // These modes end before the fixture stops its earthly-buildkitd: edgebuild removes it.
      if (mode === 'fail' || mode === 'no-iso' || mode === 'broken-check') expect(run.stderr).toContain('removed 1 container(s) the build left behind: earthly-buildkitd');
      noSecretIn(run.stdout, run.stderr, readFileSync(String(error.log), 'utf8'));
      await noBuildContainers();
    });

    test('under GitHub Actions the log is folded in a group and the failure is an ::error:: annotation', async () => {
      const run = await runCli(isoArgs(ws, 'gha', BUILD_TAGS['no-iso']), cliEnv({ GITHUB_ACTIONS: 'true' }), ws.root);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^::group::earthly\.sh log/m);
      expect(run.stderr).toMatch(/^::stop-commands::[0-9a-f]{24}$/m);
      expect(run.stderr).toContain('+build-iso | ERROR: build-iso failed');
      expect(run.stderr).toMatch(/^::endgroup::$/m);
      expect(run.stderr).toMatch(/^::error title=edgebuild::build failed: build\/palette-edge-installer\.iso does not exist/m);
      noSecretIn(run.stderr);
    });
  });

  describe('build output that is hostile: secrets echoed in every form, workflow commands', { timeout: 180_000 }, () => {
    // A multi-line ${env:} value, as a CA bundle or a key would be.
    const MULTI = 'multi-line-secret-ONE\nsecond "line" \\ TWO\nab\nthird line\'s THREE $x';
    const lines = MULTI.split('\n').filter((l) => l.length >= 4);
    // 5,000 times, in the forms a tool shows it: as is, printf %q, JSON; on stdout and stderr.
    const echoes = [
      'j=${MULTI//\\\\/\\\\\\\\}; j=${j//\\"/\\\\\\"}; j=${j//$\'\\n\'/\\\\n}',
      'for i in $(seq 5000); do echo "$MULTI"; printf "%q\\n" "$MULTI"; echo "{\\"token\\": \\"$j\\"}"; done',
      'for i in $(seq 50); do echo "stderr: $MULTI" >&2; done',
      'cat user-data',
    ].join('\n');
    // Lines the runner would take for commands, last so that they are in the failure tail.
    const hostile = [
      "echo '  ::warning::issued by the build'",
      "echo 'text ##[error]issued by the build'",
      "echo '::add-mask::issued-by-the-build' >&2",
      "echo '::stop-commands::guessed'",
      "echo '::endgroup::'",
      'echo "  ::set-output name=x::y"',
    ].join('\n');
    const failing = async (name: string, script: string) => {
      const userData = join(ws.root, 'multi-user-data.yaml');
      writeFileSync(userData, '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_TOKEN}\n    paletteEndpoint: api.example.invalid\n    caCert: ${env:MULTI}\n');
      const args = isoArgs(ws, name, BUILD_TAGS.fail, ['--json']).map((a) => (a === ws.userData ? userData : a));
      const run = await runCli(args, cliEnv({ MULTI, EDGEBUILD_FIXTURE_SCRIPT: script, GITHUB_ACTIONS: 'true' }), ws.root);
      expect(run.code, run.stderr.slice(-2000)).toBe(1);
      const error = parse(run.stdout).error as { tail: string[]; log: string };
      return { ...run, tail: error.tail, log: readFileSync(error.log, 'utf8') };
    };

    test('no line of a multi-line secret, in any form, reaches the log, stderr or the --json tail', async () => {
      const run = await failing('multi', `${echoes}\nfor i in $(seq 3); do echo "$MULTI"; done`);
      expect(run.log.split('***').length).toBeGreaterThan(5000 * 3); // it was echoed, and masked
      expect(run.tail.some((l) => l.includes('***'))).toBe(true);
      for (const text of [run.log, run.stdout, run.stderr, run.tail.join('\n')]) {
        for (const line of lines) {
          expect(text).not.toContain(line);
          expect(text).not.toContain(JSON.stringify(line).slice(1, -1));
        }
        expect(text.split('\n').filter((l) => /multi-line|TWO|THREE/.test(l))).toEqual([]);
      }
      noSecretIn(run.stdout, run.stderr, run.log);
    });

    test('under GitHub Actions the runner takes no line of build output for a command: only edgebuild\'s own', async () => {
      const run = await failing('commands', hostile);
      // The hostile lines are shown (in the tail, on stderr and in the JSON), never obeyed.
      expect(run.tail).toEqual(expect.arrayContaining(['  ::warning::issued by the build', 'text ##[error]issued by the build']));
      expect(run.stderr).toContain('  text ##[error]issued by the build');
      expect(runnerCommands(run.stdout)).toEqual([]);
      const commands = runnerCommands(run.stderr);
      const tokens = commands.map((c) => c.name).filter((n) => /^[0-9a-f]{24}$/.test(n));
      expect(tokens).toHaveLength(2);
      expect(tokens[0]).not.toBe(tokens[1]);
      expect(commands.map((c) => c.name)).toEqual(['group', 'stop-commands', tokens[0], 'endgroup', 'stop-commands', tokens[1], 'error']);
      expect(commands.at(-1)!.data).toMatch(/^build failed: earthly\.sh exited with status 1/);
    });
  });

  describe('interruption and one build per engine', { timeout: 120_000 }, () => {
    test('Ctrl-C mid-build: exit 130, no process, container, temp or lock file left; no secret in any argv', async () => {
      const run = spawnCli(isoArgs(ws, 'int', BUILD_TAGS.slow, ['--config', ws.proxyConfig]), cliEnv(), ws.root);
      // The long step runs in a container once earthly-buildkitd is up.
      await waitFor('the slow build to start its containers', async () => {
        const names = await containerNames();
        return names.some((n) => n.startsWith('earthly-buildkitd ')) && names.some((n) => n.includes(EARTHLY_IMAGE)) ? true : undefined;
      });
      const earthly = await waitFor('earthly.sh', () => cmdlinesContaining('./earthly.sh +iso')[0]);
      const group = groupOf(earthly.split(':')[0]!)!;
      const members = processesInGroup(group);
      expect(members.length).toBeGreaterThan(0);
      expect(cmdlinesContaining(SECRET)).toEqual([]);
      expect(cmdlinesContaining(PROXY_PASSWORD)).toEqual([]);
      // ...while the build does have them, through its environment.
      expect(readFileSync(`/proc/${group}/environ`, 'utf8').split('\0')).toContain(`EDGE_TOKEN=${SECRET}`);

      run.child.kill('SIGINT');
      const code = await run.exit;
      expect(code, run.output().stderr).toBe(130);
      expect(runningInGroup(group)).toEqual([]);
      await noBuildContainers();
      const left = [...filesUnder(join(ws.root, 'int')), ...filesUnder(ws.cache)].filter((f) => /\.tmp-|\.lock$/.test(f));
      expect(left).toEqual([]);
      expect(filesUnder(join(ws.root, 'int', 'dist'))).toEqual([]);
      noSecretIn(run.output().stderr, ...filesUnder(join(ws.root, 'int', 'work', 'logs')).map((f) => readFileSync(join(ws.root, 'int', 'work', 'logs', f), 'utf8')));
    });

    test('a second build on the same engine waits and says so; with --no-wait it fails at once', async () => {
      const first = spawnCli(isoArgs(ws, 'lock1', BUILD_TAGS.slow), cliEnv(), ws.root);
      await waitFor('the first build to hold the engine', async () => ((await containerNames()).some((n) => n.includes(EARTHLY_IMAGE)) ? true : undefined));

      const refused = await runCli(isoArgs(ws, 'lock2', BUILD_TAGS.success, ['--no-wait', '--json']), cliEnv(), ws.root);
      expect(refused.code, refused.stderr).toBe(1);
      expect((parse(refused.stdout).error as Record<string, unknown>).code).toBe('locked');
      expect(refused.stderr).toMatch(/another edgebuild is building on this Docker engine/);

      const waiting = spawnCli(isoArgs(ws, 'lock3', BUILD_TAGS.success, ['--json']), cliEnv(), ws.root);
      await waitFor('the second build to say it waits', () => (/waiting for it to finish/.test(waiting.output().stderr) ? true : undefined));
      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(130);
      // Once the first has stopped, the second builds.
      expect(await waiting.exit, waiting.output().stderr).toBe(0);
      expect(parse(waiting.output().stdout).status).toBe('built');
      await noBuildContainers();
    });
  });

  // SIGKILL: no handler of edgebuild runs. The build must not outlive it, and the next run in
  // that work dir stops and removes what the killed run left before building, saying so.
  describe('killed with SIGKILL', { timeout: 120_000 }, () => {
    test('the build group dies with edgebuild; the next run removes its containers and says which', async () => {
      const { run, group, containers } = await startSlowBuild(ws, 'sigkill', ['--json']);
      run.child.kill('SIGKILL');
      await run.exit;
      // The default grace is 10 s; the tests run with EDGEBUILD_KILL_GRACE_MS=1000.
      await waitFor('the build group to be gone', () => (processesInGroup(group).length === 0 ? true : undefined), 5_000).catch(() => undefined);
      expect(processesInGroup(group)).toEqual([]);
      const leftBehind = (await containerNames()).join('; ');

      const rerun = await runCli(isoArgs(ws, 'sigkill', BUILD_TAGS.success, ['--json']), cliEnv(), ws.root);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr, leftBehind).toMatch(/removed \d container\(s\) a killed edgebuild \(pid \d+\) left behind: .*earthly-buildkitd/);
      expect((JSON.parse(rerun.stdout) as { warnings: string[] }).warnings.join('\n')).toContain('a killed edgebuild');
      expect(await existingContainers(containers)).toEqual([]);
    });

    test('a rerun stops the process group a killed edgebuild left running before it builds, and says so', async () => {
      const { run, group, containers } = await startSlowBuild(ws, 'leftover', ['--json']);
      // Whatever leads the group (earthly.sh, or whatever watches it) is killed with edgebuild,
      // as when the OOM killer takes both: the rest of the group is left running.
      process.kill(group, 'SIGKILL');
      run.child.kill('SIGKILL');
      await run.exit;
      await new Promise((r) => setTimeout(r, 1_500));
      const left = processesInGroup(group);
      expect(left.length).toBeGreaterThan(0);

      const rerun = await runCli(isoArgs(ws, 'leftover', BUILD_TAGS.success, ['--json']), cliEnv(), ws.root);
      expect(rerun.code, rerun.stderr).toBe(0);
      const stopped = rerun.stderr.search(/stopped process group \d+ that a killed edgebuild \(pid \d+\) left running: /);
      expect(stopped, rerun.stderr).toBeGreaterThanOrEqual(0);
      expect(rerun.stderr.slice(stopped)).toContain(`process group ${group} `);
      // ...before the new build started (its checkout is replaced under nothing).
      expect(stopped).toBeLessThan(rerun.stderr.indexOf('CanvOS checkout ready'));
      expect(processesInGroup(group)).toEqual([]);
      expect(rerun.stderr).toMatch(/removed \d container\(s\) a killed edgebuild \(pid \d+\) left behind: .*earthly-buildkitd/);
      expect(await existingContainers(containers)).toEqual([]);
    });
  });
});
