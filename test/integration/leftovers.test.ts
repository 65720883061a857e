/**
 * What runs killed with SIGKILL leave behind is swept by the next run of the
 * same command: `<work>/canvos.tmp-*` clones and the `sites` staging
 * directories (rendered user-data, registration tokens included). A leftover
 * whose process still runs is kept; a pid that now belongs to another process
 * (another start time) protects nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';
import { processStartTime } from '../../src/adapters/processIdentity.js';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';

const CLI = resolve('dist/cli/main.js');
const TOKEN = 'tok-leftover-5ecret';
let root: string;
let canvos: FixtureRepo;
const children: ChildProcess[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgebuild-leftovers-'));
  canvos = createCanvosRepo([{ name: 'v4.6.21' }]);
});
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
afterAll(() => {
  canvos.cleanup();
  rmSync(root, { recursive: true, force: true });
});

/** A live process that is not edgebuild, and its start time. */
async function sleeper(): Promise<{ pid: number; start: number; kill: () => Promise<void> }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  const exited = new Promise((r) => child.once('exit', r));
  return { pid: child.pid!, start: processStartTime(child.pid!)!, kill: async () => void (child.kill('SIGKILL'), await exited) };
}

/** A directory as a killed run leaves it, with something in it. */
function leftover(dir: string, name: string, file = 'user-data', content = `edgeHostToken: ${TOKEN}\n`): string {
  const path = join(dir, name);
  mkdirSync(join(path, '.git'), { recursive: true });
  writeFileSync(join(path, file), content);
  return name;
}

describe('iso: canvos.tmp-* clones of killed runs', () => {
  test('are swept by the next run; a live owner keeps its own', async () => {
    const work = join(root, 'iso-work');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(root, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
    const dead = await sleeper();
    await dead.kill();
    const reused = await sleeper(); // a live pid whose start time is not the one in the name
    const live = await sleeper();
    const swept = [
      leftover(work, `canvos.tmp-${dead.pid}-0a1b2c3d`), // the name the code before this fix used
      leftover(work, `canvos.tmp-${dead.pid}.${dead.start}-0a1b2c3e`),
      leftover(work, `canvos.tmp-${reused.pid}.${reused.start + 1}-0a1b2c3f`),
    ];
    const kept = leftover(work, `canvos.tmp-${live.pid}.${live.start}-0a1b2c40`);

    const result = await runCli(['iso', '--dry-run', '--repo', canvos.path, '--tag', 'v4.6.21', '--user-data', join(root, 'user-data.yaml'), '--work-dir', work, '--cache-dir', join(root, 'cache'), '--skip-check', CHECK_IDS.join(',')], { cwd: root });
    expect(result.code).toBe(0);
    const names = readdirSync(work);
    for (const name of swept) expect(names).not.toContain(name);
    expect(names).toContain(kept);
    expect(names).toContain('canvos');
  });
});

describe('sites: staging directories of killed runs', () => {
  const TEMPLATE = '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_TOKEN}\n    name: ${site:name}\n';
  const sitesEnv = { PATH: process.env.PATH ?? '', EDGE_TOKEN: TOKEN, SOURCE_DATE_EPOCH: '1767225600' };
  const sites = (cwd: string) => spawnSync(process.execPath, [CLI, 'sites', '--sites', 'sites.csv', '--template', 'template.yaml', '--out', 'out'], { cwd, encoding: 'utf8', env: sitesEnv });

  test('a real edgebuild killed mid-run leaves staging with the token; the next run sweeps it', async () => {
    const dir = join(root, 'sites-killed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
    writeFileSync(join(dir, 'sites.csv'), ['name', ...Array.from({ length: 10_000 }, (_, i) => `site-${i}`)].join('\n'));
    const child = spawn(process.execPath, [CLI, 'sites', '--sites', 'sites.csv', '--template', 'template.yaml', '--out', 'out'], { cwd: dir, env: sitesEnv, stdio: 'ignore' });
    children.push(child);
    const exited = new Promise((r) => child.once('exit', r));
    // Kill it once it has written ISOs into its staging directory.
    const staging = await new Promise<string>((done, fail) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const name = readdirSync(dir).find((n) => n.startsWith('.out.tmp-'));
        if (name && readdirSync(join(dir, name)).length > 2) {
          clearInterval(poll);
          child.kill('SIGKILL');
          done(name);
        } else if (Date.now() - started > 20_000) {
          clearInterval(poll);
          fail(new Error('no staging directory appeared'));
        }
      }, 5);
    });
    await exited;
    const iso = readdirSync(join(dir, staging)).find((n) => n.endsWith('.iso'))!;
    expect(readFileSync(join(dir, staging, iso)).includes(TOKEN)).toBe(true);
    expect(existsSync(join(dir, 'out'))).toBe(false);

    writeFileSync(join(dir, 'sites.csv'), 'name\nsite-a\n');
    const result = sites(dir);
    expect(result.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['out', 'sites.csv', 'template.yaml']);
  });

  test('stale staging and set-aside output of dead owners go; a live owner keeps its own; a set-aside --out stays while --out is missing', async () => {
    const dir = join(root, 'sites-layout');
    mkdirSync(dir);
    writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
    writeFileSync(join(dir, 'sites.csv'), 'name\nsite-a\n');
    const dead = await sleeper();
    await dead.kill();
    const reused = await sleeper();
    const live = await sleeper();
    const oldOut = leftover(dir, `.out.old-${dead.pid}.${dead.start}-00000001`, 'site-a.iso');
    const swept = [
      leftover(dir, `.out.tmp-${dead.pid}-00000002`, 'site-a.iso'), // the name the code before this fix used
      leftover(dir, `.out.tmp-${dead.pid}.${dead.start}-00000003`, 'site-a.iso'),
      leftover(dir, `.out.tmp-${reused.pid}.${reused.start + 1}-00000004`, 'site-a.iso'),
    ];
    const kept = leftover(dir, `.out.tmp-${live.pid}.${live.start}-00000005`, 'site-a.iso');

    // --out is missing: the set-aside previous output may be all the user has; it stays.
    expect(sites(dir).status).toBe(0);
    let names = readdirSync(dir);
    for (const name of swept) expect(names).not.toContain(name);
    expect(names).toContain(kept);
    expect(names).toContain(oldOut);

    // With --out in place again, the set-aside copy is garbage.
    expect(sites(dir).status).toBe(0);
    names = readdirSync(dir);
    expect(names).not.toContain(oldOut);
    expect(names).toContain(kept);
  });
});
