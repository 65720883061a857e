/** Help on a terminal that reports 0 columns (some CI consoles, `stty cols 0`) is wrapped at 80, not one character per line. */
import { expect, test } from 'vitest';
import { run } from '../../src/cli/run.js';
import { HELP_EXAMPLES } from '../../src/cli/helpExamples.js';

async function help(columns: number | undefined): Promise<string> {
  let out = '';
  await run(['iso', '--help'], {
    stdout: { write: (s: string) => (out += s), columns },
    stderr: { write: () => true, isTTY: true },
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  });
  return out;
}

test.each([0, undefined, 5])('columns %s: lines up to 80 characters, none of one character', async (columns) => {
  const lines = (await help(columns)).split('\n');
  expect(lines.filter((l) => l.trim().length === 1)).toEqual([]);
  expect(lines.filter((l) => l.length > 80)).toEqual([]);
  expect(lines.some((l) => l.length > 60)).toBe(true);
});

test('a wide terminal gets wide help', async () => {
  expect((await help(200)).split('\n').some((l) => l.length > 100)).toBe(true);
});

test('every help example fits an 80-column terminal', () => {
  const lines = Object.values(HELP_EXAMPLES).flatMap((examples) => examples.map((e) => `  $ ${e.command}`));
  expect(lines.filter((l) => l.length > 80)).toEqual([]);
});
