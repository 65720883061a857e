/**
 * The documentation cannot drift: every fenced ```sh / ```console line of
 * README.md and docs/*.md that runs `edgebuild` (or `npx edgebuild`) is run
 * in-process against a CanvOS-like fixture repository and must exit 0.
 *
 * - A block is skipped only with `<!-- docs-test: skip: <reason> -->` on the
 *   line before it; the reason names the test that covers it instead.
 * - A fenced block whose info string names a file (```csv sites.csv) is
 *   written into the page's folder first, so the commands use the example the
 *   page shows.
 * - `export NAME=value` and a leading `NAME=value` set the environment.
 * - Any other line fails this test unless NOT_RUN lists it with a reason.
 * - `--repo` is added (the fixture's file:// URL) to commands that clone
 *   CanvOS and do not name one; the Docker engine is one that is not there, as
 *   on a laptop.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, TYPICAL_TAGS, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';
import { fencedBlocks, shellWords, type DocBlock } from './docBlocks.js';
import { HELP_EXAMPLES } from '../../src/cli/helpExamples.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Lines in shell blocks that are not edgebuild, and why this test does not run them. */
const NOT_RUN = new Map([
  ['npm test', 'the whole test suite: CI runs it'],
  ['npm ci', 'package.test.ts runs it in a copy of the repository'],
]);

/** Commands that clone CanvOS: the test points them at the fixture. */
const CLONES = new Set(['iso', 'tags', 'versions']);

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks = pages.flatMap((page) => fencedBlocks(page, readFileSync(join(ROOT, page), 'utf8')));
const shellBlocks = blocks.filter((b) => b.lang === 'sh' || b.lang === 'console');

let repo: FixtureRepo;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'edgebuild-docs-'));
  // The tags the pages name, with `latest` a stable release.
  repo = createCanvosRepo([...TYPICAL_TAGS, { name: 'v4.9.38' }], join(tmp, 'canvos'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

test('the pages hold commands to run, and every skip says why', () => {
  expect(shellBlocks.filter((b) => !b.skip).length).toBeGreaterThan(5);
  for (const b of shellBlocks.filter((b) => b.skip)) expect(b.skip!.length, `${b.page}:${b.line}`).toBeGreaterThan(20);
});

/** The page's own folder: the repository's examples, plus the files its blocks name. */
const folders = new Map<string, string>();
function folderOf(page: string): string {
  let cwd = folders.get(page);
  if (cwd) return cwd;
  cwd = join(tmp, page.replace(/\W/g, '-'));
  mkdirSync(cwd);
  for (const dir of ['user-data', 'build-configs']) cpSync(join(ROOT, dir), join(cwd, dir), { recursive: true });
  for (const b of blocks.filter((b) => b.page === page && b.file)) writeFileSync(join(cwd, b.file!), b.text);
  folders.set(page, cwd);
  return cwd;
}

/** Each command's --help examples, as one-line blocks of a page named for the help. */
const helpBlocks: DocBlock[] = Object.entries(HELP_EXAMPLES).flatMap(([command, examples]) =>
  examples.map((e, i): DocBlock => ({ page: `edgebuild ${command} --help`, line: i + 1, lang: 'sh', text: `${e.command}\n`, ...(e.needs ? { skip: `needs ${e.needs}` } : {}) })),
);

const runnable = [...shellBlocks, ...helpBlocks].filter((b) => !b.skip).map((b) => [`${b.page}:${b.line}`, b] as const);

test.each(Object.keys(HELP_EXAMPLES))('edgebuild %s --help ends with examples and the exit codes', async (command) => {
  const { code, stdout } = await runCli([command, '--help'], { cwd: tmp });
  expect(code).toBe(0);
  expect(stdout).toMatch(/\nExamples:\n( {2}\$ edgebuild .+\n){2,3}\nExit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}130 .*\n$/);
});

test('every command has help examples, and each one not run here says why', async () => {
  const { stdout } = await runCli(['--help'], { cwd: tmp });
  const commands = [...stdout.matchAll(/^ {2}([a-z][\w-]*) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  expect(commands.sort()).toEqual(Object.keys(HELP_EXAMPLES).sort());
  expect(helpBlocks.filter((b) => !b.skip).length).toBeGreaterThan(8);
});

test.each(runnable)('%s: every edgebuild command exits 0', async (_at, block) => {
  const { page } = block;
  const cwd = folderOf(page);
  const env: Record<string, string | undefined> = { XDG_CACHE_HOME: join(tmp, 'cache'), DOCKER_HOST: `unix://${join(tmp, 'no-engine.sock')}` };
  // A help example cannot show `export EDGE_HOST_TOKEN=…` first, as the pages do.
  if (page.endsWith('--help')) env.EDGE_HOST_TOKEN = 'token-from-env';
  for (const raw of block.text.split('\n')) {
    const line = block.lang === 'console' ? (/^\$ (.*)$/.exec(raw)?.[1] ?? '') : raw;
    let words = shellWords(line);
    if (!words.length) continue;
    if (words[0] === 'export') words = words.slice(1);
    while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
      const [name, ...value] = words.shift()!.split('=');
      env[name!] = value.join('=');
    }
    if (!words.length) continue;
    if (words[0] === 'npx') words = words.slice(1);
    if (words[0] !== 'edgebuild') {
      expect(NOT_RUN.has(words.join(' ')), `${page}:${block.line}: "${line}" is not an edgebuild command: mark the block <!-- docs-test: skip: reason --> or list it in NOT_RUN`).toBe(true);
      continue;
    }
    const args = words.slice(1);
    if (CLONES.has(args[0]!) && !args.includes('--repo')) args.push('--repo', repo.url);
    const result = await runCli(args, { cwd, env });
    expect(result.code, `${page}:${block.line}: ${line}\n${result.stderr}`).toBe(0);
  }
});

/** Pages other engineers write in this wave; the README links them already. */
/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

test.each(pages)('%s: every relative link names a file and a heading that exist', (page) => {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
    const [file, anchor] = target!.split('#');
    const path = join(ROOT, page, '..', file!);

    if (!existsSync(path)) {
      broken.push(target!);
      continue;
    }
    if (anchor && !readFileSync(path, 'utf8').split('\n').some((l) => /^#+ /.test(l) && anchorOf(l.replace(/^#+ /, '')) === anchor)) broken.push(target!);
  }
  expect(broken).toEqual([]);
});
