/**
 * edgebuild killed with SIGKILL mid-build (no handler runs): the build must
 * not outlive it, and the next run in that work dir stops and removes what
 * the killed run left (process group, earthly-buildkitd, containers of its
 * Earthly image) before building, saying what it stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { describeDocker, testImage } from './dockerGuard.js';
import { BUILD_TAGS } from '../fixtures/earthlyScript.js';
import { CLI, EARTHLY_IMAGE, cliEnv, cmdlinesContaining, containerNames, exec, isoArgs, killSpawned, makeWorkspace, processesInGroup, runCli, spawnCli, waitFor, type Workspace } from './isoHelpers.js';

let ws: Workspace;

/** Running containers of the slow fixture build: its earthly-buildkitd and its long Earthly-image step. */
async function buildContainers(): Promise<{ id: string; name: string; image: string }[]> {
  const { stdout } = await exec('docker', ['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}}']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, image] = line.split(' ') as [string, string, string];
      return { id, name, image };
    })
    .filter((c) => c.name === 'earthly-buildkitd' || c.image === EARTHLY_IMAGE);
}

async function existing(ids: string[]): Promise<string[]> {
  const { stdout } = await exec('docker', ['ps', '-a', '-q', '--no-trunc']);
  return ids.filter((id) => stdout.split('\n').includes(id));
}

function groupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Starts the slow build in work dir `name` and waits until both of its containers run. */
async function startSlowBuild(name: string) {
  const run = spawnCli(isoArgs(ws, name, BUILD_TAGS.slow, ['--json']), cliEnv(), ws.root);
  const containers = await waitFor('the slow build to start its containers', async () => {
    const found = await buildContainers();
    return found.some((c) => c.name === 'earthly-buildkitd') && found.some((c) => c.image === EARTHLY_IMAGE) ? found : undefined;
  });
  const earthly = await waitFor('earthly.sh', () => cmdlinesContaining('./earthly.sh +iso')[0]);
  const group = groupOf(Number(earthly.split(':')[0]));
  expect(processesInGroup(group).length).toBeGreaterThan(1);
  return { run, group, containers: containers.map((c) => c.id) };
}

describeDocker('edgebuild killed with SIGKILL', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
    ws = makeWorkspace();
    await exec('docker', ['tag', testImage, EARTHLY_IMAGE]);
    for (const c of await containerNames()) {
      const [name, image] = c.split(' ');
      if (name === 'earthly-buildkitd' || image === EARTHLY_IMAGE) await exec('docker', ['rm', '-f', name!]);
    }
  }, 120_000);
  afterEach(killSpawned);
  afterAll(() => ws?.cleanup());

  test('the build group dies with edgebuild; the next run removes its containers and says which', { timeout: 120_000 }, async () => {
    const { run, group, containers } = await startSlowBuild('sigkill');
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
    expect(await existing(containers)).toEqual([]);
  });

  test('a rerun stops the process group a killed edgebuild left running before it builds, and says so', { timeout: 120_000 }, async () => {
    const { run, group, containers } = await startSlowBuild('leftover');
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
    expect(await existing(containers)).toEqual([]);
  });
});
