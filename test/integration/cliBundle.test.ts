/**
 * The built CLI runs a command from its one-file bundle (dist/cli/edgebuild.cjs,
 * scripts/cli-bundle.mjs) through a code cache; the tests in-process run the
 * modules of src/. Both must say the same: each case runs once through the
 * built CLI (twice: the second run takes the code cache) and once in-process,
 * each in its own copy of the same files, and the exit code, stdout and stderr
 * must match. The cases are every command's error paths (where a package's two
 * builds once gave the bundle another error class: a bad CSV became an
 * internal error) and a few of their successes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { CLI, runCli } from './cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const UD = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n';
const FILES: Record<string, string> = {
  'ud.yaml': UD,
  'dup.yaml': '#cloud-config\nstylus:\n  site: {}\nstylus:\n  site: {}\n',
  'bad-config.yaml': 'canvos:\n  tag: v4.5.15\nuserData: ud.yaml\narg:\n  ARCH: sparc\n',
  'registries-bad.yaml': 'mirrors:\n  - upstream: docker.io\n    nonsense: true\n',
  'sites.csv': 'name,ip\nsite-a,10.0.0.1\nsite-b,10.0.0.2\n',
  'sites-bad.csv': 'name,ip\nsite-a,10.0.0.1,extra\n',
  'site.yaml': '#cloud-config\nstylus:\n  site:\n    name: ${site:name}\n',
  'matrix.yaml': 'canvos:\n  tag: v4.5.15\nuserData: missing.yaml\n',
};

let repo: FixtureRepo;
let root: string;
beforeAll(() => {
  expect(existsSync(join(ROOT, 'dist/cli/edgebuild.cjs')), 'npm run build first').toBe(true);
  repo = createCanvosRepo([{ name: 'v4.5.15' }, { name: 'v4.5.16', peVersion: 'v4.5.17' }]);
  root = mkdtempSync(join(tmpdir(), 'edgebuild-cli-bundle-'));
  cpSync(join(ROOT, 'build-configs/registries.yaml'), join(root, 'registries.yaml'));
});
afterAll(() => {
  repo?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

const cases: { name: string; args: () => string[]; code: number; timeDependent?: boolean }[] = [
  { name: 'iso --dry-run', args: () => ['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'ud.yaml'], code: 0 },
  { name: 'iso: a duplicate key in user-data', args: () => ['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'dup.yaml'], code: 2 },
  { name: 'iso: a config the schema refuses', args: () => ['iso', '--dry-run', '--json', '--repo', repo.path, '--config', 'bad-config.yaml'], code: 2 },
  { name: 'iso: an unknown tag', args: () => ['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.51', '--user-data', 'ud.yaml'], code: 2 },
  { name: 'iso: an unknown option', args: () => ['iso', '--nonsense'], code: 2 },
  { name: 'registries', args: () => ['registries', '--config', 'registries.yaml'], code: 0 },
  { name: 'registries: a file the schema refuses', args: () => ['registries', '--config', 'registries-bad.yaml', '--json'], code: 2 },
  { name: 'sites: a row with an extra field', args: () => ['sites', '--sites', 'sites-bad.csv', '--template', 'site.yaml', '--out', 'out', '--json'], code: 2 },
  { name: 'sites', args: () => ['sites', '--sites', 'sites.csv', '--template', 'site.yaml', '--out', 'out'], code: 0, timeDependent: true },
  { name: 'tags', args: () => ['tags', '--repo', repo.path, '--cache-dir', 'cache', '--json'], code: 0 },
  { name: 'versions: an unknown tag', args: () => ['versions', '--repo', repo.path, '--tag', 'v9.9.9', '--cache-dir', 'cache', '--json'], code: 2 },
  { name: 'verify: no such ISO (a failed check: exit 1)', args: () => ['verify', 'missing.iso', '--json'], code: 1 },
  { name: 'matrix: a config whose user-data is missing', args: () => ['matrix', '--config', 'matrix.yaml', '--repo', repo.path, '--cache-dir', 'cache'], code: 2 },
  { name: 'remaster: no such ISO', args: () => ['remaster', '--iso', 'missing.iso', '--user-data', 'ud.yaml', '--out', 'out', '--json'], code: 2 },
  { name: 'push: no such published set', args: () => ['push', 'missing-dir', '--to', '127.0.0.1:1/edge/iso:v1', '--json'], code: 2 },
  { name: 'pull: a reference that is not one', args: () => ['pull', 'not a reference', '--out', 'out', '--json'], code: 2 },
];

/** A fresh copy of the case's files; what the run prints, with the copy's path (and the home's) made one placeholder. */
function workspace(label: string, timeDependent = false): { dir: string; env: Record<string, string | undefined>; normalize: (s: string) => string } {
  const dir = join(root, label);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  cpSync(join(root, 'registries.yaml'), join(dir, 'registries.yaml'));
  mkdirSync(join(dir, 'home'));
  const env = { PATH: process.env.PATH, HOME: join(dir, 'home'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  // Site ISOs carry their time of writing: their hashes differ from run to run whatever runs them (that case only).
  // The disk's free space moves while other tests run.
  const masked = (s: string) => (timeDependent ? s.replace(/\b[0-9a-f]{64}\b/g, '<sha256>') : s).replace(/\b\d+(\.\d+)? GB free\b/g, '<n> GB free');
  return { dir, env, normalize: (s) => masked(s).replaceAll(dir, '<dir>') };
}

let n = 0;
test.each(cases)('$name: the bundle and the modules say the same', async ({ args, code, timeDependent }) => {
  const id = ++n;
  const modules = workspace(`modules-${id}`, timeDependent);
  const inProcess = await runCli(args(), { cwd: modules.dir, env: modules.env });
  const expected = { code: inProcess.code, stdout: modules.normalize(inProcess.stdout), stderr: modules.normalize(inProcess.stderr) };
  expect(expected.code, expected.stderr).toBe(code);
  for (const round of [1, 2]) {
    const built = workspace(`bundle-${id}-${round}`, timeDependent);
    const home = join(built.dir, 'home');
    const cache = join(home, '.cache', 'edgebuild', 'compile');
    if (round === 2) cpSync(join(root, `bundle-${id}-1`, 'home'), home, { recursive: true }); // the first run's code cache
    const copied = round === 2 && code === 0 ? readdirSync(cache).map((f) => statSync(join(cache, f)).ino) : [];
    const r = spawnSync(process.execPath, [CLI, ...args()], { cwd: built.dir, env: built.env, encoding: 'utf8' });
    expect({ code: r.status, stdout: built.normalize(r.stdout), stderr: built.normalize(r.stderr) }, `run ${round}`).toEqual(expected);
    // A run that went well leaves its command's code cache; a failed one leaves none.
    const files = existsSync(cache) ? readdirSync(cache) : [];
    if (code === 0) expect(files.map((f) => f.replace(/^[0-9a-f]{16}-/, '')), `run ${round}`).toEqual([`${args()[0]}.bin`]);
    else expect(existsSync(cache), `run ${round}`).toBe(false);
    // The second run took the first run's cache: not written again.
    if (copied.length) expect(readdirSync(cache).map((f) => statSync(join(cache, f)).ino)).toEqual(copied);
  }
});

test('on a terminal, progress is listr2\'s (its renderer stays a module the bundle imports on use)', () => {
  const ws = workspace('terminal');
  const command = [process.execPath, CLI, 'iso', '--dry-run', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'ud.yaml'].map((a) => `'${a}'`).join(' ');
  // script(1) gives the CLI a pseudo-terminal; -e returns its exit status.
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ws.dir, env: { ...ws.env, TERM: 'xterm' }, encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain('Planned: CanvOS v4.5.15');
  // listr2 hides the cursor while it renders; edgebuild's plain renderer (off a terminal) never does.
  expect(r.stdout).toContain("\u001b[?25l");
  expect(r.stdout).not.toMatch(/Error|internal/);
});
