/**
 * Where edgebuild writes: --out, --work-dir and the cache dir never overlap
 * (compared by real path, symlinks resolved), a regular file is never taken
 * for a directory, and a refused run writes and moves nothing. The plain
 * cases are in badInput.test.ts; these need symlinks, an earlier run or
 * another command.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';
import { runCli, type CliResult } from './cli.js';
import { filesUnder } from './isoHelpers.js';

const USER_DATA = '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_HOST_TOKEN}\n    paletteEndpoint: api.example.com\n';
const SKIP_HOST = ['--skip-check', CHECK_IDS.join(',')];

let repo: FixtureRepo;
let root: string;
let dir: string;
beforeAll(() => {
  repo = createCanvosRepo([{ name: 'v4.5.15' }]);
  root = mkdtempSync(join(tmpdir(), 'edgebuild-dirs-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  dir = mkdtempSync(join(root, 'case-'));
  writeFileSync(join(dir, 'ud.yaml'), USER_DATA);
});

const dryRun = (args: string[]): Promise<CliResult> =>
  runCli(['iso', '--dry-run', '--json', '--repo', repo.path, '--tag', 'v4.5.15', '--user-data', 'ud.yaml', '--cache-dir', 'cache', ...SKIP_HOST, ...args], {
    cwd: dir,
    env: { EDGE_HOST_TOKEN: 'tok' },
  });

/** Every file under `d` with its content hash: "nothing written, nothing moved". */
function snapshot(d: string): Record<string, string> {
  return Object.fromEntries(filesUnder(d).map((f) => [f, createHash('sha256').update(readFileSync(join(d, f))).digest('hex')]));
}

/** Exit 2, one JSON document whose message matches, the same single line on stderr. */
function expectRefused(result: CliResult, message: RegExp): void {
  expect(result.code).toBe(2);
  const body = JSON.parse(result.stdout) as { status: string; error: { exitCode: number; message: string } };
  expect(body.status).toBe('error');
  expect(body.error.exitCode).toBe(2);
  expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toContain('\n');
  expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${body.error.message}`);
}

test('--out reaching into --work-dir through a symlink is refused by real path, naming it', async () => {
  mkdirSync(join(dir, 'work'));
  symlinkSync('work', join(dir, 'alias'));
  const result = await dryRun(['--work-dir', 'work', '--out', 'alias/new/dist']);
  expectRefused(result, new RegExp(`^--out ${dir}/alias/new/dist \\(really ${dir}/work/new/dist\\) is inside --work-dir ${dir}/work\\b.*\\. Fix: choose an --out outside --work-dir`));
  expect(readdirSync(join(dir, 'work'))).toEqual([]);
  expect(existsSync(join(dir, 'cache'))).toBe(false);
});

test('a symlinked --work-dir inside --out is refused too', async () => {
  mkdirSync(join(dir, 'out', 'work'), { recursive: true });
  symlinkSync('out/work', join(dir, 'w'));
  expectRefused(await dryRun(['--work-dir', 'w', '--out', 'out']), new RegExp(`^--work-dir ${dir}/w \\(really ${dir}/out/work\\) is inside --out ${dir}/out\\b`));
  expect(filesUnder(join(dir, 'out'))).toEqual([]);
});

test('an earlier publish inside the checkout survives a run that names it as --out', async () => {
  // A checkout made by edgebuild, with a verified publish inside it (as older versions allowed).
  expect((await dryRun([])).code).toBe(0);
  const published = join(dir, '.edgebuild', 'canvos', 'dist');
  mkdirSync(published);
  writeFileSync(join(published, 'palette-edge-installer.iso'), 'iso bytes');
  writeFileSync(join(published, 'palette-edge-installer.iso.sha256'), 'sum');
  const before = snapshot(join(dir, '.edgebuild'));
  expectRefused(await dryRun(['--out', '.edgebuild/canvos/dist']), /^--out \/.*\/\.edgebuild\/canvos\/dist is inside --work-dir \/.*\/\.edgebuild\b/);
  // Before the fix the checkout (and the ISO in it) was replaced.
  expect(snapshot(join(dir, '.edgebuild'))).toEqual(before);
});

test('the cache dir inside the checkout (replaced on every run) is refused', async () => {
  expectRefused(await dryRun(['--work-dir', 'w', '--cache-dir', 'w/canvos/.cache']), /^--cache-dir \/.*\/w\/canvos\/\.cache is inside the CanvOS checkout \/.*\/w\/canvos\b.*\. Fix: /);
  expect(readdirSync(dir)).toEqual(['ud.yaml']);
});

test('a cache dir beside the checkout in --work-dir is fine', async () => {
  const result = await dryRun(['--work-dir', 'w', '--cache-dir', 'w/cache']);
  expect(result.code).toBe(0);
});

test('registries --out naming a regular file: exit 2 with one line, the file untouched (was an internal error)', async () => {
  writeFileSync(join(dir, 'stages'), 'mine');
  const result = await runCli(['registries', '--json', '--config', join(process.cwd(), 'build-configs/registries.yaml'), '--out', 'stages'], { cwd: dir });
  expectRefused(result, new RegExp(`^--out ${dir}/stages is a file, not a directory\\. Fix: `));
  expect(readFileSync(join(dir, 'stages'), 'utf8')).toBe('mine');
  expect(readdirSync(dir).sort()).toEqual(['stages', 'ud.yaml']);
});

test('sites --out under a regular file: exit 2 naming the file', async () => {
  writeFileSync(join(dir, 'sites.csv'), 'name\nberlin\n');
  writeFileSync(join(dir, 'notes'), 'mine');
  const result = await runCli(['sites', '--json', '--sites', 'sites.csv', '--template', 'ud.yaml', '--out', 'notes/sites'], { cwd: dir, env: { EDGE_HOST_TOKEN: 'tok' } });
  expectRefused(result, new RegExp(`^--out ${dir}/notes/sites: ${dir}/notes is a file, not a directory\\. Fix: `));
  expect(readdirSync(dir).sort()).toEqual(['notes', 'sites.csv', 'ud.yaml']);
});

test('doctor --work-dir naming a regular file: exit 2 before any check', async () => {
  writeFileSync(join(dir, 'work'), 'mine');
  const result = await runCli(['doctor', '--json', '--work-dir', 'work'], { cwd: dir });
  expectRefused(result, new RegExp(`^--work-dir ${dir}/work is a file, not a directory\\. Fix: `));
});
