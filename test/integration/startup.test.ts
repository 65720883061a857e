/**
 * `edgebuild --version` and `--help` must stay light: no Docker client, task
 * renderer, git wrapper, process runner, validator or YAML parser. The CLI
 * runs as a subprocess with a preloaded probe (test/fixtures/loadProbe) that
 * logs every module loaded, ESM and CommonJS. Run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createCanvosRepo } from '../fixtures/canvosRepo.js';
import { CLI, packagesLoaded as probeRun } from '../fixtures/loadProbe/packagesLoaded.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HEAVY = ['dockerode', 'listr2', 'simple-git', 'execa', 'ajv', 'yaml'];

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The npm packages a run of the CLI loaded, by name. */
function packagesLoaded(args: string[]): { code: number | null; packages: string[] } {
  const log = join(dir, `load-${args.join('_').replace(/\W/g, '')}.log`);
  return probeRun(args, { cwd: dir, log, env: { PATH: process.env.PATH, HOME: dir } });
}

/** Every command the program lists, so a command added later is covered without editing this test. */
const commands = [...spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout.matchAll(/^ {2}([a-z][\w-]*) /gm)]
  .map((m) => m[1]!)
  .filter((c) => c !== 'help');

test('the command list was read', () => {
  expect(commands).toEqual(expect.arrayContaining(['iso', 'tags', 'matrix']));
});

test.each([['--version'], ['-V'], ['--help'], ...commands.map((c) => [c, '--help'])].map((args) => [args]))(
  'edgebuild %j loads commander and nothing heavier',
  (args) => {
    const { code, packages } = packagesLoaded(args);
    expect(code).toBe(0);
    expect(packages).toEqual(['commander']);
  },
);

test('the probe sees heavy modules when a command does load them', () => {
  // `iso` with no tag imports its handler (ajv, yaml; listr2 only for a terminal), then fails on input.
  const { code, packages } = packagesLoaded(['iso']);
  expect(code).toBe(2);
  expect(packages).toEqual(expect.arrayContaining(['commander', 'ajv', 'yaml']));
  expect(HEAVY.filter((p) => packages.includes(p)).length).toBeGreaterThanOrEqual(2);
});

describe('commands load only what they use', () => {
  test('registries validates with the precompiled validator: ajv\'s runtime helpers, never its compiler', () => {
    const run = probeRun(['registries', '--config', join(ROOT, 'build-configs/registries.yaml')], { cwd: dir, log: join(dir, 'load-registries.log'), env: { PATH: process.env.PATH, HOME: dir } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.files.filter((f) => f.startsWith('ajv/'))).not.toEqual([]);
    expect(run.files.filter((f) => f.startsWith('ajv/') && !f.startsWith('ajv/dist/runtime/'))).toEqual([]);
  });

  test('tags loads no validator at all; with the mirror cached, no git wrapper either', () => {
    const repo = createCanvosRepo([{ name: 'v4.9.38' }], join(dir, 'canvos'));
    const tags = (log: string) => probeRun(['tags', '--repo', repo.path, '--cache-dir', join(dir, 'cache'), '--json'], { cwd: dir, log: join(dir, log), env: { PATH: process.env.PATH, HOME: dir } });
    const first = tags('load-tags.log');
    expect(first.code, first.stderr).toBe(0);
    expect(first.packages).toContain('simple-git'); // the first run makes the mirror
    expect(first.packages).not.toContain('ajv');
    // Later runs: `git ls-remote` and one `git grep` through node:child_process.
    const again = tags('load-tags-again.log');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ latest: 'v4.9.38' });
    expect(again.packages).toEqual(['commander']);
  });
});

describe('yaml and commander are bundled into dist/vendor/ (scripts/vendor-bundle.mjs)', () => {
  const dist = join(ROOT, 'dist');
  const modules = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'vendor' ? [] : modules(join(dir, e.name))) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));

  test('no compiled module imports them from node_modules, and a run loads none of their package files', () => {
    const importers = modules(dist).filter((f) => /\bfrom\s*['"](yaml|commander)['"]|\bimport\(\s*['"](yaml|commander)['"]/.test(readFileSync(f, 'utf8')));
    expect(importers).toEqual([]);
    const run = probeRun(['registries', '--config', join(ROOT, 'build-configs/registries.yaml')], { cwd: dir, log: join(dir, 'load-vendor.log'), env: { PATH: process.env.PATH, HOME: dir } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.files).toEqual(expect.arrayContaining(['commander.js', 'yaml.js']));
    expect(run.files.filter((f) => f.startsWith('yaml/') || f.startsWith('commander/'))).toEqual([]);
  });

  test('each bundle exports what the package does and carries its license', async () => {
    for (const name of ['yaml', 'commander']) {
      const text = readFileSync(join(dist, 'vendor', `${name}.js`), 'utf8');
      expect(text.slice(0, 2000)).toMatch(new RegExp(`^/\\*!\\n \\* ${name} \\d+\\.\\d+\\.\\d+ \\((MIT|ISC)\\)`));
      expect(text.slice(0, 3000)).toMatch(/Permission/);
      const bundled = Object.keys(await import(join(dist, 'vendor', `${name}.js`))).sort();
      const original = Object.keys(await import(name)).filter((k) => k !== 'default').sort();
      expect(bundled).toEqual(original);
    }
  });
});
